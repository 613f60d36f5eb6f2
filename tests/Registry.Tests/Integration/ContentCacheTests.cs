using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// An origin with authentication on and a content cache of it ("eu") that takes the origin's tokens, validated against
/// the keys the origin publishes, and the origin's signed redirects (valid for 5 seconds here).
/// </summary>
public sealed class ContentCacheFixture : IAsyncLifetime
{
    public const string CacheName = "eu";

    public RegistryHost Origin { get; private set; } = null!;

    public RegistryHost Cache { get; private set; } = null!;

    public AuthClient Auth { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Origin = await RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings)
        {
            ["Registry__Cache__RedirectLifetime"] = "00:00:05",
        });
        Auth = new AuthClient(Origin.Client);
        Cache = await RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings)
        {
            ["Registry__Auth__AdminPassword"] = "the-caches-own-admin-password",
            ["Registry__Cache__Upstream"] = Origin.BaseAddress.AbsoluteUri,
            ["Registry__Cache__Origin"] = "true",
            ["Registry__Cache__Name"] = CacheName,
            ["Registry__Cache__Username"] = AuthClient.AdminUser,
            ["Registry__Cache__Password"] = AuthClient.AdminPassword,
        });
    }

    public async Task DisposeAsync()
    {
        await Cache.DisposeAsync();
        await Origin.DisposeAsync();
    }
}

/// <summary>The origin's permissions at its cache, and DTR's content caches: registration, the user's choice, signed redirects.</summary>
public sealed class ContentCacheTests(ContentCacheFixture fixture) : IClassFixture<ContentCacheFixture>
{
    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task GetManifest_PrivateRepositoryAtTheCache_ServedOnlyToWhomTheOriginAllows()
    {
        // Arrange: a private repository at the origin, a user without access to it
        var repo = $"admin/priv{Guid.NewGuid():N}"[..20];
        var pusher = await Auth.AdminRepositoryAsync(repo["admin/".Length..], new { name = repo["admin/".Length..], visibility = "private" });
        var image = await pusher.PushImageAsync(repo, "v1");
        var bob = "bob" + Guid.NewGuid().ToString("N")[..8];
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = bob, password = "bob-password-1234" });
        var atCache = new AuthClient(fixture.Cache.Client);
        var path = $"/v2/{repo}/manifests/v1";

        // Act
        using var anonymous = await atCache.SendAsync(HttpMethod.Get, path, null);
        using var bobs = await atCache.SendAsync(HttpMethod.Get, path, await Auth.GetTokenAsync(bob, "bob-password-1234", $"repository:{repo}:pull"));
        using var anonymousToken = await atCache.SendAsync(HttpMethod.Get, path, await Auth.GetTokenAsync(null, null, $"repository:{repo}:pull"));
        using var cachesOwn = await atCache.SendAsync(HttpMethod.Get, path,
            await atCache.GetTokenAsync(AuthClient.AdminUser, "the-caches-own-admin-password", $"repository:{repo}:pull"));
        using var admins = await atCache.SendAsync(HttpMethod.Get, path, await Auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, $"repository:{repo}:pull"));

        // Assert: the challenge sends clients to the origin's token endpoint
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains($"realm=\"{fixture.Origin.BaseAddress.AbsoluteUri}auth/token\"", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        foreach (var refused in new[] { bobs, anonymousToken })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("insufficient_scope", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        // a token the cache signed itself is not the origin's
        Assert.Equal(HttpStatusCode.Unauthorized, cachesOwn.StatusCode);
        Assert.DoesNotContain("insufficient_scope", cachesOwn.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, admins.StatusCode);
        Assert.Equal(image.Manifest, await admins.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ContentCaches_RegisteredAndChosen_BadInputRefused()
    {
        // Arrange
        var name = "c" + Guid.NewGuid().ToString("N")[..8];

        // Act
        using var created = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/content_caches", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { name, host = "https://cache.example.net:8443" });
        var cache = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = cache.GetProperty("id").GetString()!;
        using var duplicate = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/content_caches", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { name, host = "https://other.example.net" });
        using var badHost = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/content_caches", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { name = name + "x", host = "https://cache.example.net/path?q" });
        using var badName = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/content_caches", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { name = "Bad Name", host = "https://cache.example.net" });
        using var anonymous = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/content_caches", null, null, new { name = name + "y", host = "https://c.example.net" });
        using var unknownChoice = await Auth.ApiAsync(HttpMethod.Patch, $"/api/v0/accounts/{AuthClient.AdminUser}/settings", AuthClient.AdminUser,
            AuthClient.AdminPassword, new { contentCacheUUID = Guid.NewGuid().ToString() });
        using var choice = await Auth.ApiAsync(HttpMethod.Patch, $"/api/v0/accounts/{AuthClient.AdminUser}/settings", AuthClient.AdminUser,
            AuthClient.AdminPassword, new { contentCacheUUID = id });
        using var cleared = await Auth.ApiAsync(HttpMethod.Patch, $"/api/v0/accounts/{AuthClient.AdminUser}/settings", AuthClient.AdminUser,
            AuthClient.AdminPassword, new { contentCacheUUID = "" });
        using var deleted = await Auth.ApiAsync(HttpMethod.Delete, $"/api/v0/content_caches/{id}", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var gone = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/content_caches/{id}", AuthClient.AdminUser, AuthClient.AdminPassword);

        // Assert
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(name, cache.GetProperty("name").GetString());
        Assert.Equal("https://cache.example.net:8443", cache.GetProperty("host").GetString());
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal("INVALID_PARAMETER", await AuthClient.ErrorCodeAsync(badHost));
        Assert.Equal("INVALID_PARAMETER", await AuthClient.ErrorCodeAsync(badName));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("NO_SUCH_CONTENT_CACHE", await AuthClient.ErrorCodeAsync(unknownChoice));
        Assert.Equal(id, (await choice.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("contentCacheUUID").GetString());
        Assert.Equal("", (await cleared.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("contentCacheUUID").GetString());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal("NO_SUCH_CONTENT_CACHE", await AuthClient.ErrorCodeAsync(gone));
    }

    [Fact]
    public async Task GetBlob_UserChoseTheCache_SignedRedirectServedThereForgeriesRefused()
    {
        // Arrange: a cache registered at the origin under the name the cache has, another one, and a user who chose "eu"
        var eu = await RegisterAsync(ContentCacheFixture.CacheName, fixture.Cache.BaseAddress);
        var other = await RegisterAsync("o" + Guid.NewGuid().ToString("N")[..8], fixture.Cache.BaseAddress);
        var user = "carol" + Guid.NewGuid().ToString("N")[..8];
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = user, password = "carol-password-1234" });
        await Auth.AdminAsync(HttpMethod.Post, $"/api/v0/repositories/{user}", new { name = "app", visibility = "private" });
        var repo = $"{user}/app";
        var token = await Auth.GetTokenAsync(user, "carol-password-1234", $"repository:{repo}:pull,push");
        var pusher = new OciTestClient(new HttpClient { BaseAddress = fixture.Origin.BaseAddress });
        pusher.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var image = await pusher.PushImageAsync(repo, "v1", layer: OciTestClient.RandomBytes(1024 * 1024 + 3));
        await SetChoiceAsync(user, eu);
        using var follower = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });

        // Act: the origin answers the blob pull with a redirect to the cache
        var location = await RedirectAsync(token, repo, image.LayerDigest);
        using var followed = await follower.GetAsync(location);
        var bytes = followed.StatusCode == HttpStatusCode.TemporaryRedirect
            ? await follower.GetByteArrayAsync(followed.Headers.Location)
            : await followed.Content.ReadAsByteArrayAsync();

        // Assert
        Assert.StartsWith($"{fixture.Cache.BaseAddress.AbsoluteUri}v2/{repo}/blobs/{image.LayerDigest}?redirect_token=", location.AbsoluteUri, StringComparison.Ordinal);
        Assert.True(followed.StatusCode is HttpStatusCode.OK or HttpStatusCode.TemporaryRedirect, $"{(int)followed.StatusCode}");
        Assert.Equal(image.Layer, bytes);

        // Act and assert: a tampered signature, another digest, a redirect signed for another cache, an expired one
        var signed = location.Query[(location.Query.IndexOf('=', StringComparison.Ordinal) + 1)..];
        var tampered = signed[..^4] + (signed[^4..] == "AAAA" ? "BBBB" : "AAAA");
        await AssertRefusedAsync(follower, new Uri($"{fixture.Cache.BaseAddress.AbsoluteUri}v2/{repo}/blobs/{image.LayerDigest}?redirect_token={tampered}"));
        var configDigest = JsonDocument.Parse(image.Manifest).RootElement.GetProperty("config").GetProperty("digest").GetString();
        await AssertRefusedAsync(follower, new Uri($"{fixture.Cache.BaseAddress.AbsoluteUri}v2/{repo}/blobs/{configDigest}?redirect_token={signed}"));
        await SetChoiceAsync(user, other);
        var forOther = await RedirectAsync(token, repo, image.LayerDigest);
        await AssertRefusedAsync(follower, forOther);
        Assert.True(await Poll.UntilAsync(async () =>
        {
            using var late = await follower.GetAsync(location);
            return late.StatusCode == HttpStatusCode.Forbidden;
        }, TimeSpan.FromSeconds(40)), "the signed redirect was still honoured after it expired");
        await SetChoiceAsync(user, "");
    }

    private async Task<string> RegisterAsync(string name, Uri host)
    {
        using var response = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/content_caches", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { name, host = host.GetLeftPart(UriPartial.Authority) });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return response.StatusCode == HttpStatusCode.Created
            ? body.GetProperty("id").GetString()!
            : (await Auth.Http.GetFromJsonAsync<JsonElement>("/api/v0/content_caches")).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
    }

    private Task SetChoiceAsync(string user, string cacheId) =>
        Auth.AdminAsync(HttpMethod.Patch, $"/api/v0/accounts/{user}/settings", new { contentCacheUUID = cacheId });

    private async Task<Uri> RedirectAsync(string token, string repo, string digest)
    {
        using var response = await Auth.SendAsync(HttpMethod.Get, $"/v2/{repo}/blobs/{digest}", token);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        return response.Headers.Location!;
    }

    private static async Task AssertRefusedAsync(HttpClient client, Uri uri)
    {
        using var response = await client.GetAsync(uri);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("DENIED", await OciTestClient.ErrorCodeAsync(response));
    }
}
