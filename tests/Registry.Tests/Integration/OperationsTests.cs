using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// What operators read: /api/v0/meta/cluster_status (system administrators only: instances, storage, queues with
/// their poison counts, each timer's last and next run, the vulnerability database, key ages and certificate expiry),
/// and the metrics as Prometheus text (off by default; with a bearer token when on; a host asked to serve them without
/// one does not start).
/// </summary>
public sealed class OperationsTests
{
    private const string ScrapeToken = "a-scrape-token-of-some-length";

    [Fact]
    public async Task ClusterStatus_Admin_ReportsEveryPart()
    {
        // Arrange: pruning every two seconds, so that a timer's run is recorded soon
        var settings = new Dictionary<string, string>(AuthClient.Settings) { ["Registry__Pruning__Schedule"] = "*/2 * * * * *" };
        await using var host = await RegistryHost.StartAsync(settings: settings);
        var auth = new AuthClient(host.Client);
        await auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "olga", password = "olga-password-1" });
        var oci = await auth.AdminClientAsync("repository:ops/app:pull,push");
        await oci.PushImageAsync("ops/app", "v1");

        // Act
        JsonElement status = default;
        Assert.True(await Poll.UntilAsync(async () =>
        {
            status = await StatusAsync(auth);
            return Timer(status, "PruneTags").GetProperty("lastRun").ValueKind == JsonValueKind.Object;
        }, TimeSpan.FromSeconds(60)), "the pruning timer's run was not recorded");
        using var user = await auth.ApiAsync(HttpMethod.Get, "/api/v0/meta/cluster_status", "olga", "olga-password-1");
        using var anonymous = await auth.ApiAsync(HttpMethod.Get, "/api/v0/meta/cluster_status", null, null);

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.NotEmpty(status.GetProperty("instances").EnumerateArray());
        Assert.True(status.GetProperty("storage").GetProperty("healthy").GetBoolean());
        var queues = status.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!);
        Assert.Equal([$"{host.StoragePrefix}-scans", $"{host.StoragePrefix}-signatures", $"{host.StoragePrefix}-webhooks"], queues.Keys);
        Assert.All(queues.Values, q => Assert.Equal(0, q.GetProperty("poison").GetInt32()));
        var pruning = Timer(status, "PruneTags");
        Assert.Equal("*/2 * * * * *", pruning.GetProperty("schedule").GetString());
        Assert.Equal("done", pruning.GetProperty("lastRun").GetProperty("outcome").GetString());
        Assert.True(pruning.GetProperty("nextRunAt").GetDateTimeOffset() > pruning.GetProperty("lastRun").GetProperty("lastRunAt").GetDateTimeOffset());
        Assert.Equal(["CollectGarbage", "PruneTags", "RefreshVulnerabilityDatabase", "DrainEvents", "FlushCounts", "MaintainCache"],
            status.GetProperty("timers").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, status.GetProperty("vulnerabilityDatabase").ValueKind);
        var keys = status.GetProperty("keys");
        Assert.Empty(keys.GetProperty("errors").EnumerateArray());
        Assert.True(keys.GetProperty("tokenKeyAgeDays").GetDouble() >= 0);
        Assert.True(keys.GetProperty("signingCertificateNotAfter").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(300));
    }

    [Fact]
    public async Task Metrics_PrometheusOn_ServedWithTheTokenOnly()
    {
        // Arrange
        var settings = new Dictionary<string, string>(AuthClient.Settings)
        {
            ["Registry__Telemetry__Prometheus"] = "true", ["Registry__Telemetry__PrometheusToken"] = ScrapeToken,
        };
        await using var host = await RegistryHost.StartAsync(settings: settings);
        var auth = new AuthClient(host.Client);
        var oci = await auth.AdminClientAsync("repository:ops/metered:pull,push");
        await oci.PushImageAsync("ops/metered", "v1");

        // Act
        using var anonymous = await host.Client.GetAsync("/metrics");
        using var wrong = await ScrapeAsync(host.Client, "not-the-token-at-all");
        string text = "";
        Assert.True(await Poll.UntilAsync(async () =>
        {
            using var scraped = await ScrapeAsync(host.Client, ScrapeToken);
            text = await scraped.Content.ReadAsStringAsync();
            return scraped.StatusCode == HttpStatusCode.OK && text.Contains("route=\"Manifest\"", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30)), text);

        // Assert: requests by API, route and status; durations; storage calls
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Matches("registry_http_requests_total\\{[^}]*api=\"v2\"[^}]*route=\"Manifest\"[^}]*status=\"201\"[^}]*\\} 1", text);
        Assert.Contains("registry_http_request_duration_seconds_bucket{", text);
        Assert.Contains("registry_storage_calls_", text);
        Assert.Matches("registry_http_requests_total\\{[^}]*api=\"token\"[^}]*route=\"token\"", text);
    }

    [Fact]
    public async Task Metrics_Default_NotServed()
    {
        // Arrange
        await using var host = await RegistryHost.StartAsync();

        // Act
        using var response = await ScrapeAsync(host.Client, ScrapeToken);

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Start_PrometheusWithoutToken_FailsNamingTheSetting()
    {
        // Act
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RegistryHost.StartAsync(settings: new Dictionary<string, string> { ["Registry__Telemetry__Prometheus"] = "true" }));

        // Assert
        Assert.Contains("Registry:Telemetry:PrometheusToken", failure.Message);
    }

    private static async Task<HttpResponseMessage> ScrapeAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> StatusAsync(AuthClient auth)
    {
        using var response = await auth.ApiAsync(HttpMethod.Get, "/api/v0/meta/cluster_status", AuthClient.AdminUser, AuthClient.AdminPassword);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static JsonElement Timer(JsonElement status, string name) =>
        status.GetProperty("timers").EnumerateArray().Single(t => t.GetProperty("name").GetString() == name);
}
