using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// What a personal access token may do: registry and API use, but not minting, listing or changing tokens, nor
/// changing the password or the account (GitHub and Docker Hub draw the same line), so that a leaked token cannot
/// take the account over. And a new password for one's own account needs the current one.
/// </summary>
public sealed class CredentialTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private const string Password = "the-first-password-of-this-test";
    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task PersonalAccessToken_TriesToTakeTheAccountOver_RefusedWhileRegistryUseWorks()
    {
        // Arrange: a user and a token of theirs, which the attacker holds
        var user = await NewUserAsync();
        using var created = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/api_tokens", user, Password, new { tokenLabel = "ci" });
        using var createdBody = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var token = createdBody.RootElement.GetProperty("token").GetString()!;
        var hashed = createdBody.RootElement.GetProperty("hashedToken").GetString()!;

        // Act: the attacker mints a token of their own, lists and disables the owner's, changes the password and the name
        using var mint = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/api_tokens", user, token, new { tokenLabel = "mine" });
        using var list = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/api_tokens", user, token);
        using var disable = await Auth.ApiAsync(HttpMethod.Patch, $"/api/v0/api_tokens/{hashed}", user, token, new { isActive = false });
        using var revoke = await Auth.ApiAsync(HttpMethod.Delete, $"/api/v0/api_tokens/{hashed}", user, token);
        using var password = await Auth.ApiAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", user, token,
            new { password = "the-attackers-password", oldPassword = token });
        using var rename = await Auth.ApiAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", user, token, new { fullName = "attacker" });

        // ... while what the token is for still works
        var registryToken = await Auth.GetTokenAsync(user, token, $"repository:{user}/app:pull,push");
        using var read = await Auth.ApiAsync(HttpMethod.Get, $"/enzi/v0/accounts/{user}", user, token);

        // Assert
        foreach (var refused in new[] { mint, list, disable, revoke, password, rename })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("NOT_AUTHORIZED", await AuthClient.ErrorCodeAsync(refused));
        }

        Assert.False(string.IsNullOrEmpty(registryToken));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(user, JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(await Auth.GetTokenAsync(user, Password)));
    }

    [Fact]
    public async Task ChangeOwnPassword_OldPasswordMissingOrWrong_RefusedAndRightOneAccepted()
    {
        // Arrange
        var user = await NewUserAsync();
        const string NewPassword = "the-second-password-of-this-test";

        // Act
        using var missing = await Auth.ApiAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", user, Password, new { password = NewPassword });
        using var wrong = await Auth.ApiAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", user, Password,
            new { password = NewPassword, oldPassword = "not-the-password" });
        using var right = await Auth.ApiAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", user, Password,
            new { password = NewPassword, oldPassword = Password });
        using var oldLogin = await Auth.ApiAsync(HttpMethod.Get, $"/enzi/v0/accounts/{user}", user, Password);
        using var newLogin = await Auth.ApiAsync(HttpMethod.Get, $"/enzi/v0/accounts/{user}", user, NewPassword);

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal("NOT_AUTHORIZED", await AuthClient.ErrorCodeAsync(wrong));
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldLogin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newLogin.StatusCode);
    }

    [Fact]
    public async Task SetAnotherAccountsPassword_SystemAdministrator_NeedsNoOldPassword()
    {
        // Arrange
        var user = await NewUserAsync();
        const string NewPassword = "a-password-the-administrator-set";

        // Act
        using var set = await Auth.ApiAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { password = NewPassword });
        using var login = await Auth.ApiAsync(HttpMethod.Get, $"/enzi/v0/accounts/{user}", user, NewPassword);

        // Assert
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    private async Task<string> NewUserAsync()
    {
        var user = "cred" + Guid.NewGuid().ToString("N")[..10];
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = user, password = Password });
        return user;
    }
}
