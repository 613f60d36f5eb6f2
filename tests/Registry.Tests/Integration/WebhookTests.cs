using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Webhooks through the real host on Azurite, delivered to a listener on loopback (allowed by the host's
/// Registry:Webhooks:AllowedNetworks): a push delivered with DTR's body, CloudEvents headers and the HMAC signature
/// the listener checks; retries after a 500 and after timeouts, with one event id; deactivation; the delivery log;
/// refusal of loopback, link-local, private and unique-local addresses at creation, and of a name that resolves inside
/// when the delivery is made; invalid bodies; an HTTPS endpoint trusted by its tlsCert or skipTLSVerification only;
/// who may manage which webhook; deletion with the repository.
/// </summary>
public sealed class WebhookTests
{
    private const string Password = "webhook-user-password";
    private const string Secret = "a-secret-of-thirty-two-characters";

    [Fact]
    public async Task Push_TagPushWebhook_DeliveredSignedAndLogged()
    {
        // Arrange
        await using var listener = await WebhookListener.StartAsync();
        await using var host = await RegistryHost.StartAsync(settings: Settings());
        var auth = new AuthClient(host.Client);
        var oci = await auth.AdminRepositoryAsync("hooked", new { name = "hooked", visibility = "private" });
        var webhook = await CreateAsync(auth, AuthClient.AdminUser, AuthClient.AdminPassword,
            new { type = "TAG_PUSH", key = "admin/hooked", endpoint = new Uri(listener.Address, "/hook").ToString(), secret = Secret });

        // Act
        var image = await oci.PushImageAsync("admin/hooked", "v1");

        // Assert: one delivery, DTR's body, the headers, the signature over the exact body
        Assert.True(await Poll.UntilAsync(() => Task.FromResult(listener.Requests.Count >= 1), TimeSpan.FromSeconds(30)), "no delivery");
        var request = listener.Requests[0];
        Assert.Equal("/hook", request.Path);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("TAG_PUSH", body.RootElement.GetProperty("type").GetString());
        var contents = body.RootElement.GetProperty("contents");
        Assert.Equal("admin", contents.GetProperty("namespace").GetString());
        Assert.Equal("hooked", contents.GetProperty("repository").GetString());
        Assert.Equal("v1", contents.GetProperty("tag").GetString());
        Assert.Equal(image.Digest, contents.GetProperty("digest").GetString());
        Assert.Equal("admin/hooked:v1", contents.GetProperty("imageName").GetString());
        Assert.Equal(AuthClient.AdminUser, contents.GetProperty("author").GetString());
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), request.Body)),
            request.Headers["X-Registry-Signature-256"]);
        Assert.Equal("1.0", request.Headers["ce-specversion"]);
        Assert.Equal("TAG_PUSH", request.Headers["ce-type"]);
        Assert.Equal(32, request.Headers["ce-id"].Length);
        var log = await LogAsync(auth, webhook, 1);
        Assert.Equal("delivered", log[0].GetProperty("status").GetString());
        Assert.Equal(200, log[0].GetProperty("statusCode").GetInt32());
        Assert.Equal(1, log[0].GetProperty("attempt").GetInt32());
        Assert.Equal(request.Headers["ce-id"], log[0].GetProperty("eventId").GetString());
        var listed = await ListAsync(auth, AuthClient.AdminUser, AuthClient.AdminPassword, "/api/v0/repositories/admin/hooked/webhooks");
        var shown = Assert.Single(listed);
        Assert.Equal(webhook, shown.GetProperty("id").GetString());
        Assert.False(shown.TryGetProperty("secret", out _));
        Assert.Equal(JsonValueKind.String, shown.GetProperty("lastSuccessfulAt").ValueKind);
        Assert.False(shown.GetProperty("inactive").GetBoolean());
    }

    [Fact]
    public async Task Delivery_EndpointFailsThenAnswers_RetriedWithTheSameEventId()
    {
        // Arrange: the first try is answered 500, the second 200
        await using var listener = await WebhookListener.StartAsync(n => (n == 1 ? 500 : 200, TimeSpan.Zero));
        await using var host = await RegistryHost.StartAsync(settings: Settings());
        var auth = new AuthClient(host.Client);
        var oci = await auth.AdminRepositoryAsync("retried", new { name = "retried", visibility = "private" });
        var webhook = await CreateAsync(auth, AuthClient.AdminUser, AuthClient.AdminPassword,
            new { type = "MANIFEST_PUSH", key = "admin/retried", endpoint = listener.Address.ToString() });

        // Act
        await oci.PushImageAsync("admin/retried", "v1");

        // Assert
        var log = await LogAsync(auth, webhook, 2);
        Assert.Equal(["delivered", "failed"], log.Select(d => d.GetProperty("status").GetString()));
        Assert.Equal([2, 1], log.Select(d => d.GetProperty("attempt").GetInt32()));
        Assert.Equal(500, log[1].GetProperty("statusCode").GetInt32());
        Assert.Contains("answered 500: listener failure", log[1].GetProperty("error").GetString());
        Assert.Equal(2, listener.Requests.Count);
        Assert.Equal(listener.Requests[0].Headers["ce-id"], listener.Requests[1].Headers["ce-id"]);
        Assert.Equal(listener.Requests[0].Text, listener.Requests[1].Text);
        Assert.Equal("2", listener.Requests[1].Headers["X-Registry-Delivery-Attempt"]);
    }

    [Fact]
    public async Task Delivery_EndpointNeverAnswersInTime_RetriedThenDeactivated()
    {
        // Arrange: every answer comes after the host's 1 s timeout; two tries, deactivated after one failed delivery
        await using var listener = await WebhookListener.StartAsync(_ => (200, TimeSpan.FromSeconds(5)));
        await using var host = await RegistryHost.StartAsync(settings: Settings(new()
        {
            ["Registry__Webhooks__Timeout"] = "00:00:01", ["Registry__Webhooks__MaxAttempts"] = "2", ["Registry__Webhooks__DeactivateAfter"] = "1",
        }));
        var auth = new AuthClient(host.Client);
        var oci = await auth.AdminRepositoryAsync("slow", new { name = "slow", visibility = "private" });
        var webhook = await CreateAsync(auth, AuthClient.AdminUser, AuthClient.AdminPassword,
            new { type = "TAG_PUSH", key = "admin/slow", endpoint = listener.Address.ToString() });

        // Act
        await oci.PushImageAsync("admin/slow", "v1");

        // Assert
        var log = await LogAsync(auth, webhook, 2);
        Assert.All(log, d => Assert.Equal("failed", d.GetProperty("status").GetString()));
        Assert.All(log, d => Assert.Equal("no answer within 1 s", d.GetProperty("error").GetString()));
        Assert.True(await Poll.UntilAsync(async () =>
            (await ListAsync(auth, AuthClient.AdminUser, AuthClient.AdminPassword, "/api/v0/webhooks")).Single().GetProperty("inactive").GetBoolean(),
            TimeSpan.FromSeconds(30)), "the webhook was not made inactive");
        var shown = (await ListAsync(auth, AuthClient.AdminUser, AuthClient.AdminPassword, "/api/v0/webhooks")).Single();
        Assert.Equal(1, shown.GetProperty("failedDeliveries").GetInt32());

        // Act: made active again by its admin, its failures are cleared
        using var reactivated = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks/update", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { id = webhook, inactive = false });
        using var view = JsonDocument.Parse(await reactivated.Content.ReadAsStringAsync());

        // Assert
        Assert.Equal(HttpStatusCode.OK, reactivated.StatusCode);
        Assert.False(view.RootElement.GetProperty("inactive").GetBoolean());
        Assert.Equal(0, view.RootElement.GetProperty("failedDeliveries").GetInt32());
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/", "127.0.0.1 is a loopback address")]
    [InlineData("http://localhost:9/", "resolves to")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address")]
    [InlineData("http://10.1.2.3/", "10.1.2.3 is a private address")]
    [InlineData("http://172.20.0.1/", "172.20.0.1 is a private address")]
    [InlineData("http://192.168.0.10/", "192.168.0.10 is a private address")]
    [InlineData("http://100.64.0.1/", "shared")]
    [InlineData("http://[::1]:9/", "::1 is a loopback address")]
    [InlineData("http://[fd00::1]/", "fd00::1 is a private address")]
    [InlineData("http://[::ffff:169.254.169.254]/", "link-local")]
    [InlineData("http://0.0.0.0/", "unspecified")]
    public async Task Create_RestrictedEndpoint_RefusedWithTheReason(string endpoint, string reason)
    {
        // Arrange: a host that allows no inside network
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings));
        var auth = new AuthClient(host.Client);
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "inside", visibility = "private" });

        // Act
        using var created = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { type = "TAG_PUSH", key = "admin/inside", endpoint });
        var createdText = await created.Content.ReadAsStringAsync();
        using var tested = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks/test", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { type = "TAG_PUSH", endpoint });

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
        Assert.Contains("INVALID_PARAMETER", createdText);
        Assert.Contains(reason, createdText);
        Assert.Equal(HttpStatusCode.BadRequest, tested.StatusCode);
        Assert.Empty(await ListAsync(auth, AuthClient.AdminUser, AuthClient.AdminPassword, "/api/v0/webhooks"));
    }

    [Theory]
    [InlineData("{\"type\":\"NOT_A_TYPE\",\"key\":\"admin/bad\",\"endpoint\":\"http://example.com/\"}", "type must be one of")]
    [InlineData("{\"key\":\"admin/bad\",\"endpoint\":\"http://example.com/\"}", "type is required")]
    [InlineData("{\"type\":\"TAG_PUSH\",\"key\":\"admin/bad\"}", "endpoint is required")]
    [InlineData("{\"type\":\"TAG_PUSH\",\"key\":\"admin/bad\",\"endpoint\":\"ftp://example.com/\"}", "absolute http or https URL")]
    [InlineData("{\"type\":\"TAG_PUSH\",\"key\":\"admin/bad\",\"endpoint\":\"/relative\"}", "absolute http or https URL")]
    [InlineData("{\"type\":\"TAG_PUSH\",\"key\":\"admin/bad\",\"endpoint\":\"http://user:pw@example.com/\"}", "without user information")]
    [InlineData("{\"type\":\"TAG_PUSH\",\"key\":\"admin\",\"endpoint\":\"http://example.com/\"}", "key is a repository")]
    [InlineData("{\"type\":\"REPO_EVENT\",\"key\":\"admin/bad\",\"endpoint\":\"http://example.com/\"}", "key is a namespace")]
    [InlineData("{\"type\":\"SCANNER_UPDATE_COMPLETED\",\"key\":\"admin\",\"endpoint\":\"http://example.com/\"}", "has no key")]
    [InlineData("{\"type\":\"TAG_PUSH\",\"key\":\"admin/bad\",\"endpoint\":\"http://example.com/\",\"tlsCert\":\"not a certificate\"}", "tlsCert")]
    [InlineData("{\"type\":\"TAG_PUSH\",\"key\":\"admin/bad\",\"endpoint\":\"http://example.com/\",\"secret\":\"short\"}", "secret must be")]
    [InlineData("{\"type\":\"TAG_PUSH\",\"key\":\"admin/bad\",\"endpoint\":42}", "INVALID_JSON")]
    public async Task Create_InvalidBody_InvalidParameter(string json, string message)
    {
        // Arrange
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings));
        var auth = new AuthClient(host.Client);
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "bad", visibility = "private" });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v0/webhooks") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword);

        // Act
        using var response = await host.Client.SendAsync(request);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Delivery_NameResolvingInsideOnceNoLongerAllowed_RefusedAtDelivery()
    {
        // Arrange: made while loopback was allowed, then the host runs without the allowance (same storage)
        await using var listener = await WebhookListener.StartAsync();
        string prefix, webhook;
        await using (var first = await RegistryHost.StartAsync(settings: Settings()))
        {
            var firstAuth = new AuthClient(first.Client);
            await firstAuth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "moved", visibility = "private" });
            webhook = await CreateAsync(firstAuth, AuthClient.AdminUser, AuthClient.AdminPassword,
                new { type = "TAG_PUSH", key = "admin/moved", endpoint = $"http://localhost:{listener.Address.Port}/" });
            prefix = first.StoragePrefix;
        }

        await using var host = await RegistryHost.StartAsync(prefix, new Dictionary<string, string>(AuthClient.Settings));
        var auth = new AuthClient(host.Client);
        var oci = await auth.AdminClientAsync("repository:admin/moved:pull,push");

        // Act
        await oci.PushImageAsync("admin/moved", "v1");

        // Assert: refused once, not retried, nothing reached the listener
        var log = await LogAsync(auth, webhook, 1);
        Assert.Equal("refused", log[0].GetProperty("status").GetString());
        Assert.Matches("^localhost resolves to (127\\.0\\.0\\.1|::1), a loopback address$", log[0].GetProperty("error").GetString());
        Assert.Empty(listener.Requests);
    }

    [Fact]
    public async Task Test_SampleOfTheType_PostedAndOutcomeAnswered()
    {
        // Arrange
        await using var listener = await WebhookListener.StartAsync();
        await using var host = await RegistryHost.StartAsync(settings: Settings());
        var auth = new AuthClient(host.Client);

        // Act
        using var response = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks/test", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { type = "TAG_DELETE", endpoint = listener.Address.ToString() });
        using var outcome = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("delivered", outcome.RootElement.GetProperty("status").GetString());
        var received = Assert.Single(listener.Requests);
        using var body = JsonDocument.Parse(received.Body);
        Assert.Equal("TAG_DELETE", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("example", body.RootElement.GetProperty("contents").GetProperty("namespace").GetString());
    }

    [Fact]
    public async Task Test_HttpsEndpoint_TrustedByItsTlsCertOrSkipOnly()
    {
        // Arrange: a receiver over HTTPS with a self-signed certificate for 127.0.0.1
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=webhook receiver", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await using var listener = await WebhookListener.StartAsync(certificate: certificate);
        await using var host = await RegistryHost.StartAsync(settings: Settings());
        var auth = new AuthClient(host.Client);
        var endpoint = listener.Address.ToString();

        // Act
        var untrusted = await TestAsync(auth, new { type = "TAG_PUSH", endpoint });
        var trusted = await TestAsync(auth, new { type = "TAG_PUSH", endpoint, tlsCert = certificate.ExportCertificatePem() });
        var skipped = await TestAsync(auth, new { type = "TAG_PUSH", endpoint, skipTLSVerification = true });

        // Assert
        Assert.StartsWith("https://", endpoint);
        Assert.Equal(("failed", "the endpoint's TLS certificate is not trusted"), (untrusted.GetProperty("status").GetString(), untrusted.GetProperty("error").GetString()));
        Assert.Equal("delivered", trusted.GetProperty("status").GetString());
        Assert.Equal("delivered", skipped.GetProperty("status").GetString());
        Assert.Equal(2, listener.Requests.Count);
    }

    [Fact]
    public async Task Webhooks_ManagedByThoseWithTheRight_AndGoneWithTheRepository()
    {
        // Arrange: dana owns her namespace; eve has no right on it
        await using var listener = await WebhookListener.StartAsync();
        await using var host = await RegistryHost.StartAsync(settings: Settings());
        var auth = new AuthClient(host.Client);
        await auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "dana", password = Password });
        await auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "eve", password = Password });
        using (var repo = await auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/dana", "dana", Password, new { name = "app", visibility = "public" }))
        {
            Assert.Equal(HttpStatusCode.Created, repo.StatusCode);
        }

        var endpoint = listener.Address.ToString();

        // Act
        var tagHook = await CreateAsync(auth, "dana", Password, new { type = "TAG_PUSH", key = "dana/app", endpoint });
        var repoHook = await CreateAsync(auth, "dana", Password, new { type = "REPO_EVENT", key = "dana", endpoint });
        using var global = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks", "dana", Password, new { type = "SCANNER_UPDATE_COMPLETED", endpoint });
        using var foreign = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks", "eve", Password, new { type = "TAG_PUSH", key = "dana/app", endpoint });
        using var foreignNamespace = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks", "eve", Password, new { type = "REPO_EVENT", key = "dana", endpoint });
        using var foreignDelete = await auth.ApiAsync(HttpMethod.Delete, $"/api/v0/webhooks/{tagHook}", "eve", Password);
        using var foreignLog = await auth.ApiAsync(HttpMethod.Get, $"/api/v0/webhooks/{tagHook}/deliveries", "eve", Password);
        using var anonymous = await auth.ApiAsync(HttpMethod.Get, "/api/v0/webhooks", null, null);
        var danaSees = await ListAsync(auth, "dana", Password, "/api/v0/webhooks");
        var eveSees = await ListAsync(auth, "eve", Password, "/api/v0/webhooks");
        var adminSees = await ListAsync(auth, AuthClient.AdminUser, AuthClient.AdminPassword, "/api/v0/webhooks");

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, global.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, foreignNamespace.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreignDelete.StatusCode);
        Assert.Equal("NO_SUCH_WEBHOOK", await AuthClient.ErrorCodeAsync(foreignDelete));
        Assert.Equal(HttpStatusCode.NotFound, foreignLog.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(new[] { repoHook, tagHook }.Order(), danaSees.Select(w => w.GetProperty("id").GetString()!).Order());
        Assert.Empty(eveSees);
        Assert.Equal(2, adminSees.Count);

        // Act: the repository is deleted and made again under the same name
        using (await auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositories/dana/app", "dana", Password))
        using (await auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/dana", "dana", Password, new { name = "app", visibility = "public" }))
        {
        }

        // Assert: its webhook went with it; the namespace's stays
        Assert.Empty(await ListAsync(auth, "dana", Password, "/api/v0/repositories/dana/app/webhooks"));
        Assert.Equal([repoHook], (await ListAsync(auth, "dana", Password, "/api/v0/webhooks")).Select(w => w.GetProperty("id").GetString()!));
        Assert.True(await Poll.UntilAsync(() => Task.FromResult(listener.Requests.Count >= 2), TimeSpan.FromSeconds(30)),
            "REPO_DELETED and REPO_CREATED were not delivered to the namespace's webhook");
        Assert.All(listener.Requests, r => Assert.Equal("REPO_EVENT", r.Headers["ce-type"]));
        Assert.Equal(["REPO_CREATED", "REPO_DELETED"], listener.Requests
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("contents").GetProperty("event").GetString()).Order());
    }

    private static Dictionary<string, string> Settings(Dictionary<string, string>? more = null)
    {
        var settings = new Dictionary<string, string>(AuthClient.Settings)
        {
            ["Registry__Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Registry__Webhooks__AllowedNetworks__1"] = "::1/128",
            ["Registry__Webhooks__RetryDelay"] = "00:00:00.200",
            ["Registry__Webhooks__MaxRetryDelay"] = "00:00:01",
            ["Registry__Webhooks__MaxAttempts"] = "3",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    private static async Task<JsonElement> TestAsync(AuthClient auth, object body)
    {
        using var response = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks/test", AuthClient.AdminUser, AuthClient.AdminPassword, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<string> CreateAsync(AuthClient auth, string user, string password, object body)
    {
        using var response = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks", user, password, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        using var created = JsonDocument.Parse(text);
        Assert.False(string.IsNullOrEmpty(created.RootElement.GetProperty("secret").GetString()));
        return created.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<List<JsonElement>> ListAsync(AuthClient auth, string user, string password, string path)
    {
        using var response = await auth.ApiAsync(HttpMethod.Get, path, user, password);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.EnumerateArray().ToList();
    }

    /// <summary>The webhook's log once it holds <paramref name="count"/> tries (newest first).</summary>
    private static async Task<List<JsonElement>> LogAsync(AuthClient auth, string webhook, int count)
    {
        List<JsonElement> log = [];
        Assert.True(await Poll.UntilAsync(async () =>
        {
            log = await ListAsync(auth, AuthClient.AdminUser, AuthClient.AdminPassword, $"/api/v0/webhooks/{webhook}/deliveries");
            return log.Count >= count;
        }, TimeSpan.FromSeconds(60)), $"the log has {log.Count} of {count} tries");
        return log;
    }
}
