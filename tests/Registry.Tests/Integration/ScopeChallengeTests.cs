using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// A valid token that lacks the action a request needs: 401 with <c>error="insufficient_scope"</c> and the scope to
/// ask for when a fresh token could carry it (Docker's token spec), so that a client widens its scope and goes on;
/// 403 DENIED when the account can never be granted it. Also the bootstrap's refusal of a Key Vault literal.
/// </summary>
public sealed partial class ScopeChallengeTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task PushThenDelete_WithPullToken_ClientFollowingChallengesWidensToPushThenDelete()
    {
        // Arrange: a client that starts with pull and asks for what each challenge names
        var repo = "admin/up" + Guid.NewGuid().ToString("N")[..10];
        var token = await Auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, $"repository:{repo}:pull");

        // Act: push
        using var refusedPush = await Auth.SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token);
        var pushScope = InsufficientScope(refusedPush);
        token = await Auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, pushScope);
        var image = await Client(token).PushImageAsync(repo, "v1");

        // ... then delete with the push token
        using var refusedDelete = await Auth.SendAsync(HttpMethod.Delete, $"/v2/{repo}/manifests/{image.Digest}", token);
        var deleteScope = InsufficientScope(refusedDelete);
        token = await Auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, deleteScope);
        using var deleted = await Auth.SendAsync(HttpMethod.Delete, $"/v2/{repo}/manifests/{image.Digest}", token);

        // Assert
        Assert.Equal($"repository:{repo}:pull,push", pushScope);
        Assert.Equal("UNAUTHORIZED", await AuthClient.ErrorCodeAsync(refusedPush));
        Assert.Equal($"repository:{repo}:delete", deleteScope);
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
    }

    [Fact]
    public async Task Catalog_AdministratorWithoutCatalogScope_ChallengedForIt()
    {
        // Arrange
        var token = await Auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, "repository:admin/any:pull");

        // Act
        using var refused = await Auth.SendAsync(HttpMethod.Get, "/v2/_catalog", token);
        var scope = InsufficientScope(refused);
        using var listed = await Auth.SendAsync(HttpMethod.Get, "/v2/_catalog",
            await Auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, scope));

        // Assert
        Assert.Equal("registry:catalog:*", scope);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
    }

    [Fact]
    public async Task PushAndCatalog_AccountThatCanNeverBeGrantedThem_Returns403Denied()
    {
        // Arrange: a user with no grant on the administrator's private repository
        var user = "sc" + Guid.NewGuid().ToString("N")[..10];
        const string Password = "a-password-of-the-scope-test";
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = user, password = Password });
        var repo = "admin/private" + Guid.NewGuid().ToString("N")[..8];
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = repo[6..], visibility = "private" });
        var token = await Auth.GetTokenAsync(user, Password, $"repository:{repo}:pull,push", "registry:catalog:*");

        // Act
        using var push = await Auth.SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token);
        using var catalog = await Auth.SendAsync(HttpMethod.Get, "/v2/_catalog", token);

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, push.StatusCode);
        Assert.Equal("DENIED", await AuthClient.ErrorCodeAsync(push));
        Assert.Equal(HttpStatusCode.Forbidden, catalog.StatusCode);
        Assert.Equal("DENIED", await AuthClient.ErrorCodeAsync(catalog));
    }

    [Fact]
    public async Task Bootstrap_AdminPasswordIsUnresolvedKeyVaultReference_RefusedNotStored()
    {
        // Arrange: what an app setting holds when the platform could not read the secret
        const string Literal = "@Microsoft.KeyVault(SecretUri=https://registry-vault.vault.azure.net/secrets/registry-admin-password/)";
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>
        {
            ["Registry__Auth__Enabled"] = "true",
            ["Registry__Auth__AdminPassword"] = Literal,
        });

        // Act
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=registry");
        request.Headers.Authorization = AuthClient.Basic(AuthClient.AdminUser, Literal);
        using var login = await host.Client.SendAsync(request);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.Contains("Registry:Auth:AdminPassword is an unresolved Key Vault reference", host.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("registry-vault", host.Output, StringComparison.Ordinal);
    }

    private OciTestClient Client(string token)
    {
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = Auth.Http.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new OciTestClient(http);
    }

    /// <summary>The scope of an <c>insufficient_scope</c> Bearer challenge; fails the test for any other answer.</summary>
    private static string InsufficientScope(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"insufficient_scope\"", challenge.Parameter, StringComparison.Ordinal);
        return ScopeParameter().Match(challenge.Parameter!).Groups[1].Value;
    }

    [GeneratedRegex("scope=\"([^\"]+)\"")]
    private static partial Regex ScopeParameter();
}
