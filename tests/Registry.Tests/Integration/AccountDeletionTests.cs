using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Names that outlive their owners: an account, a team or a repository deleted and its name taken again. The new holder
/// of the name must inherit nothing: not the personal access tokens, memberships, team grants or sessions of an
/// account, not the grants of a team, not the promotion policies aimed at a repository. An account whose namespace
/// still holds repositories is not deleted (409 CONFLICT): its repositories are deleted first, on purpose.
/// </summary>
public sealed class AccountDeletionTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private const string Password = "a-password-of-the-deletion-test";
    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task DeleteUser_ThenANewUserOfTheName_InheritsNoTokenMembershipOrGrant()
    {
        // Arrange: bob, in team devs of an organization with read-write on its private repository, with a token
        var org = await NewAccountAsync("org", isOrg: true);
        var bob = await NewAccountAsync("bob");
        await Auth.AdminAsync(HttpMethod.Post, $"/enzi/v0/accounts/{org}/teams", new { name = "devs" });
        await Auth.AdminAsync(HttpMethod.Put, $"/enzi/v0/accounts/{org}/teams/devs/members/{bob}", new { isAdmin = false });
        await Auth.AdminAsync(HttpMethod.Post, $"/api/v0/repositories/{org}", new { name = "app", visibility = "private" });
        await Auth.AdminAsync(HttpMethod.Put, $"/api/v0/repositories/{org}/app/teamAccess/devs", new { accessLevel = "read-write" });
        var pat = await CreateTokenAsync(bob, Password);
        Assert.Equal($"repository:{org}/app:pull,push", await GrantedAsync(bob, Password, $"repository:{org}/app:pull,push"));

        // Act: the administrator deletes bob; someone else gets an account called bob
        await Auth.AdminAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{bob}");
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = bob, password = "the-new-holder-of-the-name" });

        // Assert: the old token logs nobody in; the new bob is in no organization or team and gets no grant
        using var withOldToken = await TokenResponseAsync(bob, pat, $"repository:{org}/app:pull");
        Assert.Equal(HttpStatusCode.Unauthorized, withOldToken.StatusCode);
        Assert.Equal("", await GrantedAsync(bob, "the-new-holder-of-the-name", $"repository:{org}/app:pull,push"));
        Assert.DoesNotContain(bob, await MemberNamesAsync($"/enzi/v0/accounts/{org}/members"));
        Assert.DoesNotContain(bob, await MemberNamesAsync($"/enzi/v0/accounts/{org}/teams/devs/members"));
        using var tokens = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/api_tokens", bob, "the-new-holder-of-the-name");
        Assert.Equal(0, JsonDocument.Parse(await tokens.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task DeleteOrganization_ThenANewOrganizationOfTheName_InheritsNoMemberTeamOrGrant()
    {
        // Arrange: an organization whose team ops has read-write on the whole namespace, with carol in it
        var org = await NewAccountAsync("corp", isOrg: true);
        var carol = await NewAccountAsync("carol");
        await Auth.AdminAsync(HttpMethod.Post, $"/enzi/v0/accounts/{org}/teams", new { name = "ops" });
        await Auth.AdminAsync(HttpMethod.Put, $"/enzi/v0/accounts/{org}/teams/ops/members/{carol}", new { isAdmin = false });
        await Auth.AdminAsync(HttpMethod.Put, $"/api/v0/repositoryNamespaces/{org}/teamAccess/ops", new { accessLevel = "read-write" });
        Assert.Equal($"repository:{org}/new:pull,push", await GrantedAsync(carol, Password, $"repository:{org}/new:pull,push"));

        // Act: delete the organization, make it again with a team of the same name
        await Auth.AdminAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{org}");
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = org, isOrg = true });
        await Auth.AdminAsync(HttpMethod.Post, $"/enzi/v0/accounts/{org}/teams", new { name = "ops" });

        // Assert
        Assert.Equal("", await GrantedAsync(carol, Password, $"repository:{org}/new:pull,push"));
        Assert.Empty(await MemberNamesAsync($"/enzi/v0/accounts/{org}/members"));
        Assert.Empty(await MemberNamesAsync($"/enzi/v0/accounts/{org}/teams/ops/members"));
        using var grants = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositoryNamespaces/{org}/teamAccess", AuthClient.AdminUser, AuthClient.AdminPassword);
        Assert.DoesNotContain("\"ops\"", await grants.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task DeleteTeam_ThenATeamOfTheName_InheritsNoGrant()
    {
        // Arrange: team devs with read-only on a private repository and on the namespace
        var org = await NewAccountAsync("org", isOrg: true);
        var dave = await NewAccountAsync("dave");
        await Auth.AdminAsync(HttpMethod.Post, $"/enzi/v0/accounts/{org}/teams", new { name = "devs" });
        await Auth.AdminAsync(HttpMethod.Post, $"/api/v0/repositories/{org}", new { name = "secret", visibility = "private" });
        await Auth.AdminAsync(HttpMethod.Put, $"/api/v0/repositories/{org}/secret/teamAccess/devs", new { accessLevel = "read-only" });
        await Auth.AdminAsync(HttpMethod.Put, $"/api/v0/repositoryNamespaces/{org}/teamAccess/devs", new { accessLevel = "read-only" });

        // Act: delete the team, make one of the same name and put dave in it
        await Auth.AdminAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{org}/teams/devs");
        await Auth.AdminAsync(HttpMethod.Post, $"/enzi/v0/accounts/{org}/teams", new { name = "devs" });
        await Auth.AdminAsync(HttpMethod.Put, $"/enzi/v0/accounts/{org}/teams/devs/members/{dave}", new { isAdmin = false });

        // Assert
        Assert.Equal("", await GrantedAsync(dave, Password, $"repository:{org}/secret:pull"));
    }

    [Fact]
    public async Task DeleteAccount_WhileItsNamespaceHasRepositories_Returns409AndKeepsTheAccount()
    {
        // Arrange
        var erin = await NewAccountAsync("erin");
        await Auth.AdminAsync(HttpMethod.Post, $"/api/v0/repositories/{erin}", new { name = "keep" });

        // Act
        using var refused = await Auth.ApiAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{erin}", AuthClient.AdminUser, AuthClient.AdminPassword);
        var stillGranted = await GrantedAsync(erin, Password, $"repository:{erin}/keep:pull");
        await Auth.AdminAsync(HttpMethod.Delete, $"/api/v0/repositories/{erin}/keep");
        using var deleted = await Auth.ApiAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{erin}", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var gone = await Auth.ApiAsync(HttpMethod.Get, $"/enzi/v0/accounts/{erin}", AuthClient.AdminUser, AuthClient.AdminPassword);

        // Assert
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("CONFLICT", await AuthClient.ErrorCodeAsync(refused));
        Assert.Equal($"repository:{erin}/keep:pull", stillGranted);
        Assert.True(deleted.IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task AccessToken_OfADeletedAccount_IsDeniedNotChallengedUnderTheNewHolder()
    {
        // Arrange: frank's access token with pull on his repository; frank is deleted and the name taken again
        var frank = await NewAccountAsync("frank");
        await Auth.AdminAsync(HttpMethod.Post, $"/api/v0/repositories/{frank}", new { name = "app" });
        var token = await Auth.GetTokenAsync(frank, Password, $"repository:{frank}/app:pull");
        await Auth.AdminAsync(HttpMethod.Delete, $"/api/v0/repositories/{frank}/app");
        await Auth.AdminAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{frank}");
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = frank, password = "the-new-holder-of-the-name" });
        await Auth.AdminAsync(HttpMethod.Post, $"/api/v0/repositories/{frank}", new { name = "app" });

        // Act: the old token asks to push, which the new frank could be granted
        using var push = await Auth.SendAsync(HttpMethod.Post, $"/v2/{frank}/app/blobs/uploads/", token);

        // Assert: no challenge to widen the old token's scope: the old account gets nothing
        Assert.Equal(HttpStatusCode.Forbidden, push.StatusCode);
        Assert.Equal("DENIED", await AuthClient.ErrorCodeAsync(push));
    }

    [Fact]
    public async Task DeleteRepository_PromotionPoliciesOfOtherRepositoriesAimedAtIt_Removed()
    {
        // Arrange: admin/src promotes into admin/dst
        var suffix = Guid.NewGuid().ToString("N")[..8];
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "src" + suffix });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "dst" + suffix });
        var rules = new[] { new { field = "tag", @operator = "sw", values = new[] { "release-" } } };
        await Auth.AdminAsync(HttpMethod.Post, $"/api/v0/repositories/admin/src{suffix}/promotionPolicies?initialEvaluation=false",
            new { enabled = true, rules, targetRepository = $"admin/dst{suffix}", tagTemplate = "%n" });

        // Act: the target is deleted and made again
        await Auth.AdminAsync(HttpMethod.Delete, $"/api/v0/repositories/admin/dst{suffix}");
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "dst" + suffix });
        using var policies = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/admin/src{suffix}/promotionPolicies",
            AuthClient.AdminUser, AuthClient.AdminPassword);

        // Assert
        Assert.Equal("[]", (await policies.Content.ReadAsStringAsync()).Trim());
    }

    private async Task<string> NewAccountAsync(string prefix, bool isOrg = false)
    {
        var name = prefix + Guid.NewGuid().ToString("N")[..10];
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", isOrg ? new { name, isOrg } : new { name, password = Password });
        return name;
    }

    private async Task<string> CreateTokenAsync(string user, string password)
    {
        using var created = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/api_tokens", user, password, new { tokenLabel = "ci" });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    private async Task<HttpResponseMessage> TokenResponseAsync(string user, string secret, string scope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=registry&scope=" + Uri.EscapeDataString(scope));
        request.Headers.Authorization = AuthClient.Basic(user, secret);
        return await Auth.Http.SendAsync(request);
    }

    /// <summary>What the token endpoint grants <paramref name="user"/> of <paramref name="scope"/> ("" for nothing).</summary>
    private async Task<string> GrantedAsync(string user, string password, string scope)
    {
        using var response = await TokenResponseAsync(user, password, scope);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("scope").GetString()!;
    }

    private async Task<IReadOnlyList<string>> MemberNamesAsync(string path)
    {
        using var response = await Auth.ApiAsync(HttpMethod.Get, path, AuthClient.AdminUser, AuthClient.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("members").EnumerateArray()
            .Select(m => m.GetProperty("member").GetProperty("name").GetString()!).ToList();
    }
}
