using System.Diagnostics;
using System.Net;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>A host with authentication on that trusts a proxy on loopback, so that each test can speak for its own client addresses.</summary>
public sealed class TrustedProxyHostFixture : IAsyncLifetime
{
    public RegistryHost Host { get; private set; } = null!;

    public AuthClient Auth { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings)
        {
            ["Registry__TrustedProxies__0"] = "127.0.0.1",
        });
        Auth = new AuthClient(Host.Client);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Logins as an attacker tries them: guessing a password (throttled per address and per account and address, never
/// for the account as a whole), posing as many addresses with X-Forwarded-For (counted only from a trusted proxy), and
/// timing logins to learn which user names exist.
/// </summary>
public sealed class LoginTests(TrustedProxyHostFixture trusted, AuthHostFixture untrusted)
    : IClassFixture<TrustedProxyHostFixture>, IClassFixture<AuthHostFixture>
{
    private const string Password = "the-password-of-the-login-test";

    [Fact]
    public async Task Login_StrangerFailsRepeatedly_OwnerFromAnotherAddressStillLogsIn()
    {
        // Arrange: the attacker's address and the owner's, as the trusted proxy on loopback reports them
        var user = await NewUserAsync(trusted.Auth);
        const string Attacker = "203.0.113.7";
        const string Owner = "198.51.100.9";

        // Act: five wrong passwords from the attacker, then a sixth at once, then the right one from the attacker's address
        var failures = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var failure = await LoginAsync(trusted.Auth, user, "a-wrong-guess-" + i, Attacker);
            failures.Add(failure.StatusCode);
        }

        using var sixth = await LoginAsync(trusted.Auth, user, "a-wrong-guess-6", Attacker);
        using var rightFromAttacker = await LoginAsync(trusted.Auth, user, Password, Attacker);
        using var owner = await LoginAsync(trusted.Auth, user, Password, Owner);

        // Assert: the pair waits, the owner does not
        Assert.All(failures, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, sixth.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightFromAttacker.StatusCode);
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
    }

    [Fact]
    public async Task Login_RotatingForwardedForFromAnUntrustedPeer_CountsAsThePeer()
    {
        // Arrange: a host that trusts no proxy (the default); the attacker connects directly
        var user = await NewUserAsync(untrusted.Auth);

        // Act: six guesses, each claiming another address in X-Forwarded-For
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var guess = await LoginAsync(untrusted.Auth, user, "a-wrong-guess-" + i, $"203.0.113.{10 + i}");
            statuses.Add(guess.StatusCode);
        }

        // Assert: the claims are ignored; the sixth guess waits as from one address
        Assert.All(statuses.Take(5), status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[5]);
    }

    [Fact]
    public async Task Login_UnknownUserAndWrongPassword_TakeTheSameTime()
    {
        // Arrange: a known user; every attempt from an address of its own, so that no throttle interferes
        var user = await NewUserAsync(trusted.Auth);
        var unknown = "nobody" + Guid.NewGuid().ToString("N")[..10];
        var address = 0;
        async Task<double> TimeAsync(string name)
        {
            var watch = Stopwatch.StartNew();
            using var response = await LoginAsync(trusted.Auth, name, "a-wrong-password", $"198.18.{address / 250}.{address++ % 250 + 1}");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            return watch.Elapsed.TotalMilliseconds;
        }

        for (var i = 0; i < 3; i++)
        {
            await TimeAsync(user);
            await TimeAsync(unknown);
        }

        // Act: interleaved, so that load on the machine falls on both alike
        var known = new List<double>();
        var unknowns = new List<double>();
        for (var i = 0; i < 25; i++)
        {
            known.Add(await TimeAsync(user));
            unknowns.Add(await TimeAsync(unknown));
        }

        // Assert: medians within a factor of 1.5
        var (a, b) = (Median(known), Median(unknowns));
        Assert.True(Math.Max(a, b) / Math.Min(a, b) < 1.5, $"median of a wrong password {a:F1} ms, of an unknown user {b:F1} ms");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return (sorted[(sorted.Count - 1) / 2] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task<HttpResponseMessage> LoginAsync(AuthClient auth, string user, string password, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/auth/token?service=registry&scope=repository:{user}/app:pull");
        request.Headers.Authorization = AuthClient.Basic(user, password);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await auth.Http.SendAsync(request);
    }

    private static async Task<string> NewUserAsync(AuthClient auth)
    {
        var user = "login" + Guid.NewGuid().ToString("N")[..10];
        await auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = user, password = Password });
        return user;
    }
}
