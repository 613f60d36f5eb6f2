using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// DTR's team access and effective access: grants on a repository and on a namespace in DTR's models, a grant
/// that does not exist revoked as DTR does, and what a user or a team may do with a repository.
/// </summary>
public sealed class TeamAccessApiTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>, IAsyncLifetime
{
    private const string Password = "team-access-password-1";

    private AuthClient Auth => fixture.Auth;

    public async Task InitializeAsync()
    {
        using var exists = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/taorg", AuthClient.AdminUser, AuthClient.AdminPassword);
        if (exists.StatusCode == HttpStatusCode.OK)
        {
            return;
        }

        // taorg with the team devs (tauser in it) and the private repositories app and other; outsider belongs nowhere
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "taorg", isOrg = true });
        foreach (var user in new[] { "tauser", "outsider" })
        {
            await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = user, password = Password });
        }

        await Auth.AdminAsync(HttpMethod.Put, "/enzi/v0/accounts/taorg/members/tauser", new { isAdmin = false });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts/taorg/teams", new { name = "devs" });
        await Auth.AdminAsync(HttpMethod.Put, "/enzi/v0/accounts/taorg/teams/devs/members/tauser", new { isAdmin = false });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/taorg", new { name = "app", visibility = "private" });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/taorg", new { name = "other", visibility = "private" });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task TeamAccess_GrantReadRevoke_DtrModelsAndRevokingNothingIsNoError()
    {
        // Act: a grant on a repository, the namespace's grant read before and after it is made, revocations of nothing
        var put = await JsonAsync(HttpMethod.Put, "/api/v0/repositories/taorg/app/teamAccess/devs", AuthClient.AdminUser, AuthClient.AdminPassword, new { accessLevel = "read-write" });
        using var before = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/repositoryNamespaces/taorg/teamAccess/devs", "tauser", Password);
        var granted = await JsonAsync(HttpMethod.Put, "/api/v0/repositoryNamespaces/taorg/teamAccess/devs", AuthClient.AdminUser, AuthClient.AdminPassword, new { accessLevel = "read-only" });
        var asMember = await JsonAsync(HttpMethod.Get, "/api/v0/repositoryNamespaces/taorg/teamAccess/devs", "tauser", Password);
        using var asOutsider = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/repositoryNamespaces/taorg/teamAccess/devs", "outsider", Password);
        var namespaceList = await JsonAsync(HttpMethod.Get, "/api/v0/repositoryNamespaces/taorg/teamAccess", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var revokeNothing = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositories/taorg/other/teamAccess/devs", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var revokeNoTeam = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositoryNamespaces/taorg/teamAccess/nosuchteam", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var revoke = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositoryNamespaces/taorg/teamAccess/devs", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var after = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/repositoryNamespaces/taorg/teamAccess/devs", AuthClient.AdminUser, AuthClient.AdminPassword);

        // Assert: PUT on a repository answers its list; clientUserIsMember is the caller's
        DtrContract.AssertMatches(put, "ListRepoTeamAccess");
        var entry = Assert.Single(put.GetProperty("teamAccessList").EnumerateArray());
        Assert.Equal(("read-write", "devs", false), (entry.GetProperty("accessLevel").GetString(), entry.GetProperty("team").GetProperty("name").GetString(),
            entry.GetProperty("team").GetProperty("clientUserIsMember").GetBoolean()));
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_NAMESPACE_TEAM_ACCESS"), (before.StatusCode, await AuthClient.ErrorCodeAsync(before)));
        DtrContract.AssertMatches(granted, "NamespaceTeamAccess");
        DtrContract.AssertMatches(asMember, "NamespaceTeamAccess");
        Assert.Equal(("read-only", "taorg", true), (asMember.GetProperty("accessLevel").GetString(), asMember.GetProperty("namespace").GetString(),
            asMember.GetProperty("team").GetProperty("clientUserIsMember").GetBoolean()));
        Assert.Equal(HttpStatusCode.Forbidden, asOutsider.StatusCode);
        DtrContract.AssertMatches(namespaceList, "ListRepoNamespaceTeamAccess");
        Assert.Equal([HttpStatusCode.NoContent, HttpStatusCode.NoContent, HttpStatusCode.NoContent], new[] { revokeNothing.StatusCode, revokeNoTeam.StatusCode, revoke.StatusCode });
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task RepositoryAccess_UserAndTeam_EffectiveLevelsForThoseAllowedToAsk()
    {
        // Arrange: devs may write to app
        await Auth.AdminAsync(HttpMethod.Put, "/api/v0/repositories/taorg/app/teamAccess/devs", new { accessLevel = "read-write" });

        // Act
        var own = await JsonAsync(HttpMethod.Get, "/api/v0/accounts/tauser/repositoryAccess/taorg/app", "tauser", Password);
        var byAdmin = await JsonAsync(HttpMethod.Get, "/api/v0/accounts/outsider/repositoryAccess/taorg/app", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var byOutsider = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/accounts/tauser/repositoryAccess/taorg/app", "outsider", Password);
        using var aboutOther = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/accounts/admin/repositoryAccess/taorg/app", "tauser", Password);
        var team = await JsonAsync(HttpMethod.Get, "/api/v0/accounts/taorg/teams/devs/repositoryAccess", "tauser", Password);
        using var teamByOutsider = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/accounts/taorg/teams/devs/repositoryAccess", "outsider", Password);
        using var noTeam = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/accounts/taorg/teams/nosuch/repositoryAccess", AuthClient.AdminUser, AuthClient.AdminPassword);

        // Assert
        DtrContract.AssertMatches(own, "RepoUserAccess");
        Assert.Equal(("read-write", "tauser", "app"), (own.GetProperty("accessLevel").GetString(), own.GetProperty("user").GetProperty("name").GetString(),
            own.GetProperty("repository").GetProperty("name").GetString()));
        Assert.Equal("", byAdmin.GetProperty("accessLevel").GetString());   // the outsider has none
        Assert.Equal(HttpStatusCode.NotFound, byOutsider.StatusCode);       // a private repository the asker cannot see
        Assert.Equal(HttpStatusCode.Forbidden, aboutOther.StatusCode);      // another user's access is not a member's to read
        DtrContract.AssertMatches(team, "ListTeamRepoAccess");
        Assert.Equal([("read-write", "app")], team.GetProperty("repositoryAccessList").EnumerateArray()
            .Select(a => (a.GetProperty("accessLevel").GetString(), a.GetProperty("repository").GetProperty("name").GetString())).ToArray());
        Assert.True(team.GetProperty("team").GetProperty("clientUserIsMember").GetBoolean());
        Assert.Equal(HttpStatusCode.Forbidden, teamByOutsider.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_TEAM"), (noTeam.StatusCode, await AuthClient.ErrorCodeAsync(noTeam)));
    }

    private Task<JsonElement> JsonAsync(HttpMethod method, string path, string user, string password, object? body = null) =>
        Auth.JsonAsync(method, path, user, password, body);
}
