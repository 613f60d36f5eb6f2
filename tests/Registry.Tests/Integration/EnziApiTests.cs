using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// What automation asks of eNZi (/enzi/v0): accounts and teams addressed by id, the <c>filter</c> of account and
/// member lists, paging by <c>X-Next-Page-Start</c>, <c>orgID</c> on teams, and a team's PATCH.
/// </summary>
public sealed class EnziApiTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>, IAsyncLifetime
{
    private const string Password = "enzi-password-1";

    private AuthClient Auth => fixture.Auth;

    public async Task InitializeAsync()
    {
        using var exists = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/enziorg", AuthClient.AdminUser, AuthClient.AdminPassword);
        if (exists.StatusCode == HttpStatusCode.OK)
        {
            return;
        }

        // users: a plain one, an administrator, an inactive one; an organization with a team and an admin member
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "enziplain", password = Password });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "enziboss", password = Password, isAdmin = true });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "enzigone", password = Password, isActive = false });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "enziorg", isOrg = true });
        await Auth.AdminAsync(HttpMethod.Put, "/enzi/v0/accounts/enziorg/members/enziboss", new { isAdmin = true });
        await Auth.AdminAsync(HttpMethod.Put, "/enzi/v0/accounts/enziorg/members/enziplain", new { isAdmin = false });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts/enziorg/teams", new { name = "builders", description = "builds" });
        await Auth.AdminAsync(HttpMethod.Put, "/enzi/v0/accounts/enziorg/teams/builders/members/enziplain", new { isAdmin = false });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("orgs", new[] { "enziorg" })]
    [InlineData("users", new[] { "admin", "enziboss", "enzigone", "enziplain" })]
    [InlineData("admins", new[] { "admin", "enziboss" })]
    [InlineData("non-admins", new[] { "enzigone", "enziplain" })]
    [InlineData("active-users", new[] { "admin", "enziboss", "enziplain" })]
    [InlineData("inactive-users", new[] { "enzigone" })]
    public async Task ListAccounts_Filter_PagedOneAtATimeByXNextPageStart(string filter, string[] expected)
    {
        // Act: pages of one, following the header
        var names = new List<string>();
        string? start = null;
        for (var pages = 0; pages < 20; pages++)
        {
            using var response = await Auth.ApiAsync(HttpMethod.Get, $"/enzi/v0/accounts?filter={filter}&limit=1{(start is null ? "" : "&start=" + start)}",
                AuthClient.AdminUser, AuthClient.AdminPassword);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            names.AddRange(body.GetProperty("accounts").EnumerateArray().Select(a => a.GetProperty("name").GetString()!));
            start = response.Headers.TryGetValues("X-Next-Page-Start", out var next) ? next.Single() : null;
            Assert.Equal(start ?? "", body.GetProperty("nextPageStart").GetString());
            if (start is null)
            {
                break;
            }
        }

        // Assert (accounts of other tests in this host are left out)
        Assert.Equal(expected, names.Where(n => n == "admin" || n.StartsWith("enzi", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AccountsTeamsAndMembers_ByIdAndFilter_AsByName()
    {
        // Arrange
        var org = await JsonAsync(HttpMethod.Get, "/enzi/v0/accounts/enziorg");
        var team = await JsonAsync(HttpMethod.Get, "/enzi/v0/accounts/enziorg/teams/builders");
        var orgId = org.GetProperty("id").GetString();
        var teamId = team.GetProperty("id").GetString();

        // Act
        var byId = await JsonAsync(HttpMethod.Get, $"/enzi/v0/accounts/id:{orgId}");
        var teamById = await JsonAsync(HttpMethod.Get, $"/enzi/v0/accounts/id:{orgId}/teams/id:{teamId}");
        var admins = await JsonAsync(HttpMethod.Get, $"/enzi/v0/accounts/id:{orgId}/members?filter=admins");
        var teamMembers = await JsonAsync(HttpMethod.Get, "/enzi/v0/accounts/enziorg/teams/builders/members?filter=non-admins");
        using var unknown = await Auth.ApiAsync(HttpMethod.Get, $"/enzi/v0/accounts/id:{Guid.NewGuid()}", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var unknownTeam = await Auth.ApiAsync(HttpMethod.Get, $"/enzi/v0/accounts/enziorg/teams/id:{Guid.NewGuid()}", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var badFilter = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/enziorg/members?filter=owners", AuthClient.AdminUser, AuthClient.AdminPassword);

        // Assert: the same account and team; eNZi's orgID on the team
        Assert.Equal(org.ToString(), byId.ToString());
        Assert.Equal(team.ToString(), teamById.ToString());
        Assert.Equal(orgId, team.GetProperty("orgID").GetString());
        Assert.Equal(["enziboss"], admins.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("member").GetProperty("name").GetString()));
        Assert.Equal(["enziplain"], teamMembers.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("member").GetProperty("name").GetString()));
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_ACCOUNT"), (unknown.StatusCode, await AuthClient.ErrorCodeAsync(unknown)));
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_TEAM"), (unknownTeam.StatusCode, await AuthClient.ErrorCodeAsync(unknownTeam)));
        Assert.Equal("INVALID_PARAMETER", await AuthClient.ErrorCodeAsync(badFilter));
    }

    [Fact]
    public async Task PatchTeam_DescriptionByOwner_ChangedRenameAndMembersRefused()
    {
        // Act
        var patched = await JsonAsync(HttpMethod.Patch, "/enzi/v0/accounts/enziorg/teams/builders", new { description = "builds and ships" });
        using var rename = await Auth.ApiAsync(HttpMethod.Patch, "/enzi/v0/accounts/enziorg/teams/builders", AuthClient.AdminUser, AuthClient.AdminPassword, new { name = "shippers" });
        using var byMember = await Auth.ApiAsync(HttpMethod.Patch, "/enzi/v0/accounts/enziorg/teams/builders", "enziplain", Password, new { description = "mine now" });
        using var byOrgAdmin = await Auth.ApiAsync(HttpMethod.Patch, "/enzi/v0/accounts/enziorg/teams/builders", "enziboss", Password, new { description = "by the org's admin" });
        var after = await JsonAsync(HttpMethod.Get, "/enzi/v0/accounts/enziorg/teams/builders");

        // Assert: the description changed, the members and id stayed
        Assert.Equal("builds and ships", patched.GetProperty("description").GetString());
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_FORM_FIELD"), (rename.StatusCode, await AuthClient.ErrorCodeAsync(rename)));
        Assert.Equal(HttpStatusCode.Forbidden, byMember.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byOrgAdmin.StatusCode);
        Assert.Equal(("by the org's admin", patched.GetProperty("id").GetString()), (after.GetProperty("description").GetString(), after.GetProperty("id").GetString()));
        Assert.Single((await JsonAsync(HttpMethod.Get, "/enzi/v0/accounts/enziorg/teams/builders/members")).GetProperty("members").EnumerateArray());
    }

    private Task<JsonElement> JsonAsync(HttpMethod method, string path, object? body = null) =>
        Auth.JsonAsync(method, path, AuthClient.AdminUser, AuthClient.AdminPassword, body);
}
