using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>One host with authentication on, shared by the token tests.</summary>
public sealed class AuthHostFixture : IAsyncLifetime
{
    public RegistryHost Host { get; private set; } = null!;

    public AuthClient Auth { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await RegistryHost.StartAsync(settings: AuthClient.Settings);
        Auth = new AuthClient(Host.Client);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// The token endpoint, the challenge of /v2/, and forged tokens: alg none, HS256 signed with the public key,
/// expired, wrong audience, wrong issuer, unknown kid, tampered payload. Forgeries that need the real key read it
/// from the storage the host uses, as an attacker who stole it would; each must still fail for its own flaw.
/// </summary>
public sealed class TokenTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private const string Repo = "admin/forgery";
    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task Jwks_PublicKeysOnly_ValidateTheRegistrysTokens()
    {
        // Arrange
        var token = await Auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, "repository:jwks/app:pull");

        // Act
        using var response = await Auth.Http.GetAsync("/auth/jwks");
        var text = await response.Content.ReadAsStringAsync();

        // Assert: EC P-256 public points with their kids, no private parameter; the token's kid is there and its key verifies it
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jwk-set+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        var keys = JsonDocument.Parse(text).RootElement.GetProperty("keys").EnumerateArray().ToList();
        Assert.All(keys, k => Assert.Equal(["kty", "crv", "x", "y", "kid", "use", "alg"], k.EnumerateObject().Select(p => p.Name)));
        Assert.DoesNotContain("\"d\"", text);
        var header = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(token.Split('.')[0])).RootElement;
        var key = keys.Single(k => k.GetProperty("kid").GetString() == header.GetProperty("kid").GetString());
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(key.GetProperty("x").GetString()),
                Y = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(key.GetProperty("y").GetString()),
            },
        });
        var parts = token.Split('.');
        Assert.True(ecdsa.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[2]),
            HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task GetBase_WithoutToken_Returns401WithBearerChallenge()
    {
        // Act
        using var response = await Auth.Http.GetAsync("/v2/");
        using var scoped = await Auth.Http.GetAsync($"/v2/{Repo}/tags/list");

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains($"realm=\"{fixture.Host.BaseAddress}auth/token\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains("service=\"registry\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains($"scope=\"repository:{Repo}:pull\"", scoped.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        Assert.Equal("UNAUTHORIZED", await OciTestClient.ErrorCodeAsync(scoped));
    }

    [Fact]
    public async Task GetToken_ValidCredentials_GrantsIntersectionOfAskedAndAllowed()
    {
        // Act: the administrator asks for a repository and the catalog; an anonymous caller for the same
        using var admin = await TokenResponseAsync(AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword), $"repository:{Repo}:pull,push", "registry:catalog:*");
        using var anonymous = await TokenResponseAsync(null, $"repository:{Repo}:pull,push", "registry:catalog:*");

        // Assert
        Assert.Equal($"repository:{Repo}:pull,push registry:catalog:*", admin.RootElement.GetProperty("scope").GetString());
        Assert.Equal("", anonymous.RootElement.GetProperty("scope").GetString());
        Assert.True(admin.RootElement.GetProperty("expires_in").GetInt32() > 0);
        var header = JsonNode.Parse(Base64Url(admin.RootElement.GetProperty("token").GetString()!.Split('.')[0]))!;
        Assert.Equal("ES256", header["alg"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(header["kid"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("admin", "wrong-password")]
    [InlineData("nobody", "whatever-password")]
    [InlineData("admin", "")]
    public async Task GetToken_BadCredentials_Returns401WithoutEchoingTheSecret(string user, string password)
    {
        // Act
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=registry");
        request.Headers.Authorization = AuthClient.Basic(user, password);
        using var response = await Auth.Http.SendAsync(request);

        // Assert: refused, and the secret is neither in the answer nor in the host's log
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("UNAUTHORIZED", await OciTestClient.ErrorCodeAsync(response));
        Assert.True(password.Length == 0 || !body.Contains(password, StringComparison.Ordinal));
        Assert.True(password.Length == 0 || !fixture.Host.Output.Contains(password, StringComparison.Ordinal));
        Assert.DoesNotContain(AuthClient.AdminPassword, fixture.Host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_MoreThan32Scopes_Returns400()
    {
        var query = "/auth/token?service=registry" + string.Concat(Enumerable.Range(0, 33).Select(i => $"&scope=repository:admin/r{i}:pull"));
        using var response = await Auth.Http.GetAsync(query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task PostToken_PasswordThenRefreshGrant_IssuesTokens()
    {
        // Act
        using var password = await Auth.Http.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = AuthClient.AdminUser, ["password"] = AuthClient.AdminPassword,
            ["service"] = "registry", ["scope"] = $"repository:{Repo}:pull", ["access_type"] = "offline", ["client_id"] = "tests",
        }));
        using var first = JsonDocument.Parse(await password.Content.ReadAsStringAsync());
        var refresh = first.RootElement.GetProperty("refresh_token").GetString()!;
        using var refreshed = await Auth.Http.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refresh, ["service"] = "registry", ["scope"] = $"repository:{Repo}:push",
        }));
        using var access = await Auth.Http.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = first.RootElement.GetProperty("access_token").GetString()!, ["service"] = "registry",
        }));

        // Assert: a refresh token renews; an access token is no refresh token
        Assert.Equal(HttpStatusCode.OK, password.StatusCode);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal($"repository:{Repo}:push", JsonDocument.Parse(await refreshed.Content.ReadAsStringAsync()).RootElement.GetProperty("scope").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, access.StatusCode);
    }

    [Fact]
    public async Task GetToken_WithRefreshTokenAsBearer_IssuesAccessToken()
    {
        // Arrange: GET with offline_token=true hands out a refresh token
        using var first = await TokenResponseAsync(AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword) , "repository:admin/x:pull");
        using var offline = await Auth.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=registry&offline_token=true")
        {
            Headers = { Authorization = AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword) },
        });
        var refresh = JsonDocument.Parse(await offline.Content.ReadAsStringAsync()).RootElement.GetProperty("refresh_token").GetString()!;

        // Act
        using var renewed = await TokenResponseAsync(new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", refresh), "repository:admin/x:pull");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=registry")
        {
            Headers = { Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", first.RootElement.GetProperty("token").GetString()) },
        };
        using var accessAsRefresh = await Auth.Http.SendAsync(request);

        // Assert
        Assert.Equal("repository:admin/x:pull", renewed.RootElement.GetProperty("scope").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, accessAsRefresh.StatusCode);
    }

    [Fact]
    public async Task SigningKey_AfterRotation_NewKidSignsAndOldTokensStillValidate()
    {
        // Arrange: a host whose keys rotate every two seconds
        var settings = new Dictionary<string, string>(AuthClient.Settings) { ["Registry__Auth__SigningKeyRotation"] = "00:00:02" };
        await using var host = await RegistryHost.StartAsync(settings: settings);
        var auth = new AuthClient(host.Client);
        var before = await auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, "repository:admin/r:pull");

        // Act
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var after = await auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, "repository:admin/r:pull");
        using var oldToken = await auth.SendAsync(HttpMethod.Get, "/v2/admin/r/tags/list", before);
        using var newToken = await auth.SendAsync(HttpMethod.Get, "/v2/admin/r/tags/list", after);

        // Assert: authorized both times (404: the repository does not exist), signed by different keys
        Assert.NotEqual(Kid(before), Kid(after));
        Assert.Equal(HttpStatusCode.NotFound, oldToken.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, newToken.StatusCode);
    }

    private static string Kid(string token) => JsonNode.Parse(Base64Url(token.Split('.')[0]))!["kid"]!.GetValue<string>();

    [Theory]
    [InlineData("malformed multipart")]
    [InlineData("5000 fields")]
    [InlineData("a 5 MB value")]
    [InlineData("a 5 MB value, chunked")]
    public async Task PostToken_HostileForm_Returns400NotAServerError(string input)
    {
        // Arrange: what an anonymous caller can send to the token endpoint
        HttpContent content = input switch
        {
            "malformed multipart" => new StringContent("--xyz\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n--xy"),
            "5000 fields" => new StringContent(string.Join('&', Enumerable.Range(0, 5000).Select(i => $"f{i}=1"))),
            _ => new StringContent("grant_type=password&username=admin&password=" + new string('x', 5_000_000)),
        };
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(
            input == "malformed multipart" ? "multipart/form-data; boundary=xyz" : "application/x-www-form-urlencoded");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/token") { Content = content };
        if (input.EndsWith("chunked", StringComparison.Ordinal))
        {
            request.Headers.TransferEncodingChunked = true;
        }

        // Act
        using var response = await Auth.Http.SendAsync(request);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("UNSUPPORTED", await OciTestClient.ErrorCodeAsync(response));
        Assert.DoesNotContain("An unhandled exception was thrown", fixture.Host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_RepeatedFailures_AreThrottledPerAccount()
    {
        // Arrange: a user of its own, so other tests are not throttled
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "throttled", password = "throttled-password" });

        // Act: five failures, then the right password
        for (var i = 0; i < 5; i++)
        {
            using var failure = await SendTokenRequestAsync("throttled", "wrong");
            Assert.Equal(HttpStatusCode.Unauthorized, failure.StatusCode);
        }

        using var locked = await SendTokenRequestAsync("throttled", "throttled-password");

        // Assert
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal("TOOMANYREQUESTS", await OciTestClient.ErrorCodeAsync(locked));
        Assert.True(locked.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task ValidToken_Accepted_ThenEachForgeryRefused()
    {
        // Arrange
        var valid = await Auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, $"repository:{Repo}:pull");
        var (kid, key) = await ReadSigningKeyAsync();
        var parts = valid.Split('.');
        var payload = JsonNode.Parse(Base64Url(parts[1]))!.AsObject();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string Sign(JsonObject header, JsonObject body, Func<byte[], byte[]> signer)
        {
            var signingInput = $"{Encode(header.ToJsonString())}.{Encode(body.ToJsonString())}";
            return $"{signingInput}.{Base64UrlEncode(signer(Encoding.ASCII.GetBytes(signingInput)))}";
        }

        byte[] Es256(byte[] data) => key.SignData(data, HashAlgorithmName.SHA256);
        JsonObject Payload(Action<JsonObject> change)
        {
            var copy = JsonNode.Parse(payload.ToJsonString())!.AsObject();
            change(copy);
            return copy;
        }

        var es256 = new JsonObject { ["alg"] = "ES256", ["kid"] = kid, ["typ"] = "JWT" };
        var publicKey = key.ExportSubjectPublicKeyInfo();
        var forgeries = new Dictionary<string, string>
        {
            ["alg none"] = $"{Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{parts[1]}.",
            ["HS256 with the public key"] = Sign(new JsonObject { ["alg"] = "HS256", ["kid"] = kid, ["typ"] = "JWT" }, payload, d => HMACSHA256.HashData(publicKey, d)),
            ["expired"] = Sign(es256, Payload(p => { p["nbf"] = now - 600; p["iat"] = now - 600; p["exp"] = now - 300; }), Es256),
            ["not yet valid"] = Sign(es256, Payload(p => { p["nbf"] = now + 600; p["exp"] = now + 900; }), Es256),
            ["wrong audience"] = Sign(es256, Payload(p => p["aud"] = "another-registry"), Es256),
            ["wrong issuer"] = Sign(es256, Payload(p => p["iss"] = "someone-else"), Es256),
            ["unknown kid"] = Sign(new JsonObject { ["alg"] = "ES256", ["kid"] = "0000000000000000", ["typ"] = "JWT" }, payload, Es256),
            ["signed by another key"] = Sign(es256, payload, d => ECDsa.Create(ECCurve.NamedCurves.nistP256).SignData(d, HashAlgorithmName.SHA256)),
            ["tampered payload"] = $"{parts[0]}.{Encode(Payload(p => p["access"]![0]!["actions"] = new JsonArray("pull", "push", "delete")).ToJsonString())}.{parts[2]}",
            ["no expiry"] = Sign(es256, Payload(p => p.Remove("exp")), Es256),
            ["garbage"] = "not.a.token",
        };

        // Act and assert: the real token and a correctly re-signed copy pass; every forgery gets the challenge
        using (var ok = await Auth.SendAsync(HttpMethod.Get, $"/v2/{Repo}/tags/list", valid))
        {
            Assert.Equal(HttpStatusCode.NotFound, ok.StatusCode);   // authorized; the repository does not exist
        }

        using (var resigned = await Auth.SendAsync(HttpMethod.Get, $"/v2/{Repo}/tags/list", Sign(es256, payload, Es256)))
        {
            Assert.Equal(HttpStatusCode.NotFound, resigned.StatusCode);
        }

        foreach (var (flaw, token) in forgeries)
        {
            using var response = await Auth.SendAsync(HttpMethod.Get, $"/v2/{Repo}/tags/list", token);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{flaw}: {(int)response.StatusCode}");
        }
    }

    private async Task<HttpResponseMessage> SendTokenRequestAsync(string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=registry");
        request.Headers.Authorization = AuthClient.Basic(user, password);
        return await Auth.Http.SendAsync(request);
    }

    private async Task<JsonDocument> TokenResponseAsync(System.Net.Http.Headers.AuthenticationHeaderValue? credentials, params string[] scopes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=registry" + string.Concat(scopes.Select(s => "&scope=" + Uri.EscapeDataString(s))));
        request.Headers.Authorization = credentials;
        using var response = await Auth.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private async Task<(string Kid, ECDsa Key)> ReadSigningKeyAsync()
    {
        var container = new BlobServiceClient(AzuriteConnection).GetBlobContainerClient(fixture.Host.StoragePrefix);
        var json = (await container.GetBlobClient(Registry.Storage.StorageLayout.SigningKeysPath).DownloadContentAsync()).Value.Content.ToString();
        var newest = JsonNode.Parse(json)!.AsArray().OrderByDescending(k => k!["createdAt"]!.GetValue<DateTimeOffset>()).First()!;
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(newest["privateKey"]!.GetValue<string>()), out _);
        return (newest["kid"]!.GetValue<string>(), key);
    }

    private const string AzuriteConnection =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";

    private static string Encode(string json) => Base64UrlEncode(Encoding.UTF8.GetBytes(json));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Base64Url(string value)
    {
        var padded = value.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded));
    }
}
