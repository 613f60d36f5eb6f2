using System.Net;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// No oracle of private repository names: to a caller who may not read it, a private repository and its
/// sub-resources answer exactly as a repository that does not exist (status and body, the name aside).
/// </summary>
public sealed class OracleTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private const string Password = "a-password-of-the-oracle-test";
    private AuthClient Auth => fixture.Auth;

    [Theory]
    [InlineData("/api/v0/repositories/admin/{0}")]
    [InlineData("/api/v0/repositories/admin/{0}/tags")]
    [InlineData("/api/v0/repositories/admin/{0}/pruningPolicies")]
    [InlineData("/api/v0/repositories/admin/{0}/promotionPolicies")]
    [InlineData("/api/v0/repositories/admin/{0}/teamAccess")]
    [InlineData("/api/v0/imagescan/scansummary/repositories/admin/{0}/latest")]
    [InlineData("/api/v0/imagescan/repositories/admin/{0}/latest")]
    public async Task Get_PrivateRepositoryWithoutAccess_AnswersAsOneThatDoesNotExist(string template)
    {
        // Arrange: a private repository of the administrator, a name nobody has, and a user without grants
        var secret = "secret" + Guid.NewGuid().ToString("N")[..8];
        var missing = "missing" + Guid.NewGuid().ToString("N")[..7];
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = secret, visibility = "private" });
        var user = "or" + Guid.NewGuid().ToString("N")[..10];
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = user, password = Password });

        foreach (var (caller, password) in new[] { ((string?)null, (string?)null), (user, Password) })
        {
            // Act: the prober asks for both names
            using var probeSecret = await Auth.ApiAsync(HttpMethod.Get, string.Format(template, secret), caller, password);
            using var probeMissing = await Auth.ApiAsync(HttpMethod.Get, string.Format(template, missing), caller, password);

            // Assert
            var who = caller ?? "anonymous";
            Assert.True(probeSecret.StatusCode == probeMissing.StatusCode, $"{who}: {probeSecret.StatusCode} against {probeMissing.StatusCode}");
            Assert.Equal(HttpStatusCode.NotFound, probeSecret.StatusCode);
            Assert.Equal(
                (await probeMissing.Content.ReadAsStringAsync()).Replace(missing, "NAME", StringComparison.Ordinal),
                (await probeSecret.Content.ReadAsStringAsync()).Replace(secret, "NAME", StringComparison.Ordinal));
        }
    }
}
