using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// DTR's jobs API over every kind of background work the registry runs (GC asked for and on its timer, tag pruning,
/// the database refresh, a scan, a signing, a webhook delivery): each listed with its action and status and its log
/// read; a running job canceled (not tried again); filters, paging, bad ids and parameters, and who may call it.
/// </summary>
public sealed class JobTests
{
    [Fact]
    public async Task Jobs_EachKindOfWork_ListedWithItsLog()
    {
        // Arrange: the maintenance timers every few seconds; a webhook receiver on loopback
        await using var listener = await WebhookListener.StartAsync();
        var settings = new Dictionary<string, string>(AuthClient.Settings)
        {
            ["Registry__Pruning__Schedule"] = "*/2 * * * * *",
            ["Registry__Gc__Schedule"] = "*/3 * * * * *",
            ["Registry__Scan__DatabaseSchedule"] = "*/2 * * * * *",
            ["Registry__Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
        };
        await using var host = await RegistryHost.StartAsync(settings: settings);
        var auth = new AuthClient(host.Client);
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "worked", visibility = "private" });
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/webhooks", new { type = "TAG_PUSH", key = "admin/worked", endpoint = listener.Address.ToString() });
        var oci = await auth.AdminClientAsync("repository:admin/worked:pull,push");
        await oci.PushImageAsync("admin/worked", "v1", layer: TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease))));
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/imagescan/scan/admin/worked/v1");
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin/worked/signingPolicies",
            new { rules = new[] { new { field = "tag", @operator = "eq", values = new[] { "v1" } } } });
        using var gc = await auth.ApiAsync(HttpMethod.Post, "/api/v0/jobs", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { action = "onlinegc", parameters = new { dryRun = true } });
        using var gcJob = JsonDocument.Parse(await gc.Content.ReadAsStringAsync());
        var gcId = gcJob.RootElement.GetProperty("id").GetString()!;

        // Act and assert: a finished job of each action, with a log
        var expected = new Dictionary<string, string>
        {
            ["tag_prune"] = "Tag pruning removed 0 tags",
            ["update_vuln_db"] = "Registry:Scan:DatabaseUrl is not set",
            ["scan_check"] = "Scanned admin/worked@",
            ["sign"] = "Signed admin/worked@",
            ["webhook"] = "try 1: delivered, answer 200",
            ["onlinegc"] = "GC (dry run:",
        };
        foreach (var (action, line) in expected)
        {
            JsonElement job = default;
            Assert.True(await Poll.UntilAsync(async () =>
            {
                var jobs = await ListAsync(auth, $"/api/v0/jobs?action={action}&running=false");
                job = jobs.FirstOrDefault(j => j.GetProperty("status").GetString() == "done");
                return job.ValueKind == JsonValueKind.Object;
            }, TimeSpan.FromSeconds(60)), $"no finished {action} job");
            Assert.Equal(action, job.GetProperty("action").GetString());
            DtrContract.AssertMatches(job, "Job");
            Assert.True(job.TryGetProperty("startedAt", out _) && job.TryGetProperty("error", out _));
            var id = job.GetProperty("id").GetString()!;
            using var logs = await auth.ApiAsync(HttpMethod.Get, $"/api/v0/jobs/{id}/logs", AuthClient.AdminUser, AuthClient.AdminPassword);
            var lines = JsonDocument.Parse(await logs.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
            Assert.Contains(lines, l => l.GetProperty("data").GetString()!.Contains(line, StringComparison.Ordinal));
            Assert.Equal(Enumerable.Range(0, lines.Count), lines.Select(l => l.GetProperty("lineNum").GetInt32()));
        }

        // the GC asked for through the API is the job its answer names, its parameters kept
        using var got = await auth.ApiAsync(HttpMethod.Get, $"/api/v0/jobs/{gcId}", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var gotJob = JsonDocument.Parse(await got.Content.ReadAsStringAsync());
        Assert.Equal("onlinegc", gotJob.RootElement.GetProperty("action").GetString());
        Assert.True(gotJob.RootElement.GetProperty("parameters").GetProperty("dryRun").GetBoolean());
        var scan = (await ListAsync(auth, "/api/v0/jobs?action=scan_check")).First();
        Assert.Equal("admin/worked", scan.GetProperty("parameters").GetProperty("repository").GetString());
    }

    [Fact]
    public async Task Cancel_RunningDelivery_CanceledAndNotTriedAgain()
    {
        // Arrange: a receiver that answers after 30 s, a host that waits a minute
        await using var listener = await WebhookListener.StartAsync(_ => (200, TimeSpan.FromSeconds(30)));
        var settings = new Dictionary<string, string>(AuthClient.Settings)
        {
            ["Registry__Webhooks__AllowedNetworks__0"] = "127.0.0.0/8", ["Registry__Webhooks__Timeout"] = "00:01:00",
        };
        await using var host = await RegistryHost.StartAsync(settings: settings);
        var auth = new AuthClient(host.Client);
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "stuck", visibility = "private" });
        using var created = await auth.ApiAsync(HttpMethod.Post, "/api/v0/webhooks", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { type = "TAG_PUSH", key = "admin/stuck", endpoint = listener.Address.ToString() });
        var webhook = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        var oci = await auth.AdminClientAsync("repository:admin/stuck:pull,push");
        await oci.PushImageAsync("admin/stuck", "v1");
        JsonElement running = default;
        Assert.True(await Poll.UntilAsync(async () =>
        {
            running = (await ListAsync(auth, "/api/v0/jobs?action=webhook&running=true")).FirstOrDefault();
            return running.ValueKind == JsonValueKind.Object && listener.Requests.Count == 1;
        }, TimeSpan.FromSeconds(30)), "the delivery did not start");
        var id = running.GetProperty("id").GetString()!;

        // Act
        using var cancel = await auth.ApiAsync(HttpMethod.Post, $"/api/v0/jobs/{id}/cancel", AuthClient.AdminUser, AuthClient.AdminPassword);
        var asked = JsonDocument.Parse(await cancel.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString();
        string status = "";
        Assert.True(await Poll.UntilAsync(async () =>
        {
            using var job = await auth.ApiAsync(HttpMethod.Get, $"/api/v0/jobs/{id}", AuthClient.AdminUser, AuthClient.AdminPassword);
            status = JsonDocument.Parse(await job.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString()!;
            return status == "canceled";
        }, TimeSpan.FromSeconds(20)), $"the job is {status}");

        // Assert: canceled before its answer; no try logged, none queued again
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("cancel_request", asked);
        using var log = await auth.ApiAsync(HttpMethod.Get, $"/api/v0/webhooks/{webhook}/deliveries", AuthClient.AdminUser, AuthClient.AdminPassword);
        Assert.Empty(JsonDocument.Parse(await log.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
        Assert.Single(await ListAsync(auth, "/api/v0/jobs?action=webhook"));
        Assert.Single(listener.Requests);
    }

    [Fact]
    public async Task Jobs_BadInputAndCallers_AnsweredInDtrErrors()
    {
        // Arrange
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings));
        var auth = new AuthClient(host.Client);
        await auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "jules", password = "jules-password-1" });
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/jobs", new { action = "onlinegc", parameters = new { dryRun = true } });
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/jobs", new { action = "onlinegc", parameters = new { dryRun = true } });

        // Act
        var all = await ListAsync(auth, "/api/v0/jobs?action=onlinegc");
        var page = await ListAsync(auth, "/api/v0/jobs?action=onlinegc&limit=1");
        var next = await ListAsync(auth, $"/api/v0/jobs?action=onlinegc&start={all[1].GetProperty("id").GetString()}");
        using var unknown = await Api(auth, HttpMethod.Get, "/api/v0/jobs/0000000000000000000-00000000");
        using var malformed = await Api(auth, HttpMethod.Get, "/api/v0/jobs/..%2Fx");
        using var badRunning = await Api(auth, HttpMethod.Get, "/api/v0/jobs?running=maybe");
        using var badStart = await Api(auth, HttpMethod.Get, "/api/v0/jobs?start=x'y");
        using var badLimit = await Api(auth, HttpMethod.Get, "/api/v0/jobs?limit=0");
        using var user = await auth.ApiAsync(HttpMethod.Get, "/api/v0/jobs", "jules", "jules-password-1");
        using var anonymous = await auth.ApiAsync(HttpMethod.Get, "/api/v0/jobs", null, null);
        using var deleted = await Api(auth, HttpMethod.Delete, $"/api/v0/jobs/{all[0].GetProperty("id").GetString()}");
        using var deletedAgain = await Api(auth, HttpMethod.Delete, $"/api/v0/jobs/{all[0].GetProperty("id").GetString()}");

        // Assert
        Assert.Equal(2, all.Count);
        Assert.True(string.CompareOrdinal(all[0].GetProperty("id").GetString(), all[1].GetProperty("id").GetString()) < 0, "newest first");
        Assert.Single(page);
        Assert.Equal(all[1].GetProperty("id").GetString(), Assert.Single(next).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("NO_SUCH_JOB", await AuthClient.ErrorCodeAsync(unknown));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badRunning.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badStart.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deletedAgain.StatusCode);
    }

    [Fact]
    public async Task Crons_EachMaintenanceTimer_ReadableAndOnlyGcChangeable()
    {
        // Arrange
        var settings = new Dictionary<string, string>(AuthClient.Settings) { ["Registry__Pruning__Schedule"] = "0 */5 * * * *" };
        await using var host = await RegistryHost.StartAsync(settings: settings);
        var auth = new AuthClient(host.Client);

        // Act
        using var prune = await Api(auth, HttpMethod.Get, "/api/v0/crons/tag_prune");
        using var database = await Api(auth, HttpMethod.Get, "/api/v0/crons/update_vuln_db");
        using var change = await auth.ApiAsync(HttpMethod.Put, "/api/v0/crons/tag_prune", AuthClient.AdminUser, AuthClient.AdminPassword, new { enabled = false });
        using var unknown = await Api(auth, HttpMethod.Get, "/api/v0/crons/nosuch");

        // Assert
        using var pruneCron = JsonDocument.Parse(await prune.Content.ReadAsStringAsync());
        Assert.Equal(("tag_prune", "0 */5 * * * *", true), (pruneCron.RootElement.GetProperty("action").GetString(),
            pruneCron.RootElement.GetProperty("schedule").GetString(), pruneCron.RootElement.GetProperty("enabled").GetBoolean()));
        using var databaseCron = JsonDocument.Parse(await database.Content.ReadAsStringAsync());
        Assert.False(databaseCron.RootElement.GetProperty("enabled").GetBoolean());   // no address to refresh from
        Assert.Equal(HttpStatusCode.BadRequest, change.StatusCode);
        Assert.Contains("Registry:Pruning:Schedule", await change.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private static Task<HttpResponseMessage> Api(AuthClient auth, HttpMethod method, string path) =>
        auth.ApiAsync(method, path, AuthClient.AdminUser, AuthClient.AdminPassword);

    private static async Task<List<JsonElement>> ListAsync(AuthClient auth, string path)
    {
        using var response = await auth.ApiAsync(HttpMethod.Get, path, AuthClient.AdminUser, AuthClient.AdminPassword);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.Clone()).ToList();
    }
}
