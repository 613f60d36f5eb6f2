using System.Net;
using System.Text;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Refresh tokens, which <c>docker login</c> keeps instead of the password: long-lived, and ended at once by a password
/// change, a deactivation, a delete (a new account of the same name inherits nothing) or a revocation of the sessions.
/// </summary>
public sealed class SessionTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private const string Password = "a-password-of-the-session-test";
    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task PasswordGrant_Offline_RefreshTokenLivesThirtyDaysAndRefreshes()
    {
        // Arrange
        var user = await NewUserAsync();

        // Act
        var refresh = await LoginAsync(user, Password);
        using var refreshed = await RefreshAsync(refresh);

        // Assert
        using var payload = JsonDocument.Parse(Base64Url(refresh.Split('.')[1]));
        var lifetime = payload.RootElement.GetProperty("exp").GetInt64() - payload.RootElement.GetProperty("iat").GetInt64();
        Assert.Equal((long)TimeSpan.FromDays(30).TotalSeconds, lifetime);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    [Theory]
    [InlineData("password change")]
    [InlineData("deactivation")]
    [InlineData("deactivation and reactivation")]
    [InlineData("revocation by the administrator")]
    [InlineData("revocation by the user")]
    [InlineData("delete and a new account of the same name")]
    public async Task Refresh_AfterTheSessionEnded_Returns401(string ending)
    {
        // Arrange: a refresh token from docker login, as the attacker who copied ~/.docker/config.json holds it
        var user = await NewUserAsync();
        var refresh = await LoginAsync(user, Password);

        // Act
        switch (ending)
        {
            case "password change":
                await Ok(Auth.ApiAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", user, Password,
                    new { password = "the-new-password-of-the-session-test", oldPassword = Password }));
                break;
            case "deactivation":
                await Auth.AdminAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", new { isActive = false });
                break;
            case "deactivation and reactivation":
                await Auth.AdminAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", new { isActive = false });
                await Auth.AdminAsync(HttpMethod.Patch, $"/enzi/v0/accounts/{user}", new { isActive = true });
                break;
            case "revocation by the administrator":
                await Auth.AdminAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{user}/sessions");
                break;
            case "revocation by the user":
                await Ok(Auth.ApiAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{user}/sessions", user, Password));
                break;
            default:
                await Auth.AdminAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{user}");
                await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = user, password = Password });
                break;
        }

        using var refreshed = await RefreshAsync(refresh);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, refreshed.StatusCode);
    }

    [Fact]
    public async Task RevokeSessions_WithPersonalAccessTokenOrForAnotherUser_Refused()
    {
        // Arrange
        var user = await NewUserAsync();
        var other = await NewUserAsync();
        using var created = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/api_tokens", user, Password, new { tokenLabel = "ci" });
        var token = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;

        // Act
        using var byToken = await Auth.ApiAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{user}/sessions", user, token);
        using var forOther = await Auth.ApiAsync(HttpMethod.Delete, $"/enzi/v0/accounts/{other}/sessions", user, Password);

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, byToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forOther.StatusCode);
    }

    private async Task<string> NewUserAsync()
    {
        var user = "ses" + Guid.NewGuid().ToString("N")[..10];
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = user, password = Password });
        return user;
    }

    /// <summary>docker login: the OAuth2 password grant with access_type=offline; returns the refresh token.</summary>
    private async Task<string> LoginAsync(string user, string password)
    {
        using var response = await Auth.Http.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = user, ["password"] = password, ["service"] = "registry",
            ["client_id"] = "docker", ["access_type"] = "offline",
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("refresh_token").GetString()!;
    }

    private Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        Auth.Http.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["service"] = "registry", ["client_id"] = "docker",
            ["scope"] = "repository:any/thing:pull",
        }));

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static string Base64Url(string value)
    {
        var padded = value.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '=')));
    }
}
