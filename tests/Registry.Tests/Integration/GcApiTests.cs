using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// The GC cron and job through /api/v0 on a host with authentication on whose GC timer fires every second: the
/// settings' shape and validation, who may see and change them, and the timer running on its own.
/// Inputs tried: a bad duration, a negative one, an unknown parameter, another schedule, another action, an
/// unknown cron, dryRun of the wrong type; as a user, anonymously and as the administrator.
/// </summary>
public sealed class GcApiTests : IAsyncLifetime
{
    private const string Password = "a-user-password-1";
    private RegistryHost _host = null!;
    private AuthClient _auth = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string>(AuthClient.Settings);
        foreach (var (key, value) in GarbageCollectionTests.GcSettings("* * * * * *"))
        {
            settings[key] = value;
        }

        _host = await RegistryHost.StartAsync(settings: settings);
        _auth = new AuthClient(_host.Client);
        await _auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "dora", password = Password });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task GetCron_AsAdmin_ShowsSettingsAndTheTimersLastRun()
    {
        // Act: the timer fires every second; wait for its report
        JsonElement cron = default;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            cron = await AdminJsonAsync(HttpMethod.Get, "/api/v0/crons/onlinegc");
            if (cron.GetProperty("lastRun").ValueKind == JsonValueKind.Object)
            {
                break;
            }

            await Task.Delay(500);
        }

        using var list = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/crons", AuthClient.AdminUser, AuthClient.AdminPassword);

        // Assert
        Assert.Equal("onlinegc", cron.GetProperty("action").GetString());
        Assert.Equal("* * * * * *", cron.GetProperty("schedule").GetString());
        Assert.True(cron.GetProperty("enabled").GetBoolean());
        Assert.Equal("30m", cron.GetProperty("deadline").GetString());
        Assert.Equal("2s", cron.GetProperty("parameters").GetProperty("blobGracePeriod").GetString());
        Assert.True(cron.GetProperty("lastRun").GetProperty("complete").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var crons = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement;
        DtrContract.AssertMatches(crons, "Crons");
        Assert.Equal(["onlinegc", "tag_prune", "update_vuln_db"], crons.GetProperty("crons").EnumerateArray().Select(c => c.GetProperty("action").GetString()));
        Assert.True(cron.GetProperty("nextRun").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task UpdateCron_ValidSettings_SavedAndReturnedToConfiguration()
    {
        // Act
        var saved = await AdminJsonAsync(HttpMethod.Put, "/api/v0/crons/onlinegc",
            new { deadline = "5m", parameters = new Dictionary<string, string> { ["manifestGracePeriod"] = "48h", ["uploadLifetime"] = "1h30m" } });
        var reset = await AdminJsonAsync(HttpMethod.Put, "/api/v0/crons/onlinegc",
            new { deadline = "", parameters = new Dictionary<string, string> { ["manifestGracePeriod"] = "" } });

        // Assert
        Assert.Equal("5m", saved.GetProperty("deadline").GetString());
        Assert.Equal("48h", saved.GetProperty("parameters").GetProperty("manifestGracePeriod").GetString());
        Assert.Equal("1h30m", saved.GetProperty("parameters").GetProperty("uploadLifetime").GetString());
        Assert.Equal("30m", reset.GetProperty("deadline").GetString());
        Assert.Equal("2s", reset.GetProperty("parameters").GetProperty("manifestGracePeriod").GetString());
        Assert.Equal("1h30m", reset.GetProperty("parameters").GetProperty("uploadLifetime").GetString());
    }

    [Fact]
    public async Task UpdateCron_ConcurrentSavesOfDifferentSettings_NoneLost()
    {
        // Act: five settings, each saved by ten requests at the same moment
        var bodies = new object[]
        {
            new { enabled = false },
            new { deadline = "7m" },
            new { parameters = new Dictionary<string, string> { ["manifestGracePeriod"] = "3h" } },
            new { parameters = new Dictionary<string, string> { ["blobGracePeriod"] = "4h" } },
            new { parameters = new Dictionary<string, string> { ["uploadLifetime"] = "5h" } },
        };
        await Task.WhenAll(Enumerable.Repeat(bodies, 10).SelectMany(b => b).Select(body => AdminJsonAsync(HttpMethod.Put, "/api/v0/crons/onlinegc", body)));

        var cron = await AdminJsonAsync(HttpMethod.Get, "/api/v0/crons/onlinegc");

        // Assert: every save is kept
        var parameters = cron.GetProperty("parameters");
        Assert.False(cron.GetProperty("enabled").GetBoolean());
        Assert.Equal("7m", cron.GetProperty("deadline").GetString());
        Assert.Equal(("3h", "4h", "5h"), (parameters.GetProperty("manifestGracePeriod").GetString(),
            parameters.GetProperty("blobGracePeriod").GetString(), parameters.GetProperty("uploadLifetime").GetString()));
    }

    [Fact]
    public async Task UpdateCron_Disabled_TimerStopsRunning()
    {
        // Arrange: the timer has run at least once
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && (await AdminJsonAsync(HttpMethod.Get, "/api/v0/crons/onlinegc")).GetProperty("lastRun").ValueKind != JsonValueKind.Object)
        {
            await Task.Delay(300);
        }

        // Act: switch it off; a run in progress may still end, so wait until the last run stays put for 2 s (a timer
        // still firing every second never does), then watch it for 3 s more
        var off = await AdminJsonAsync(HttpMethod.Put, "/api/v0/crons/onlinegc", new { enabled = false });
        var before = await LastRunFinishedAsync();
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(2000);
            var now = await LastRunFinishedAsync();
            if (now == before)
            {
                break;
            }

            before = now;
        }

        await Task.Delay(3000);
        var after = await LastRunFinishedAsync();

        // Assert
        Assert.False(off.GetProperty("enabled").GetBoolean());
        Assert.Equal(before, after);
    }

    [Theory]
    [InlineData("{\"deadline\":\"soon\"}")]
    [InlineData("{\"deadline\":\"-5m\"}")]
    [InlineData("{\"deadline\":\"1000000000h\"}")]
    [InlineData("{\"parameters\":{\"blobGracePeriod\":\"1d\"}}")]
    [InlineData("{\"parameters\":{\"everything\":\"1h\"}}")]
    [InlineData("{\"schedule\":\"0 0 3 * * *\"}")]
    [InlineData("{\"action\":\"gc\"}")]
    public async Task UpdateCron_BadInput_InvalidParameter(string body)
    {
        // Act
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/v0/crons/onlinegc") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword);
        using var response = await _host.Client.SendAsync(request);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("INVALID_PARAMETER", await AuthClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task RunJob_Gc_AnswersTheRunningJobAtOnceThenItsReport()
    {
        // Act: DTR's call, then the same as a client polling the job it was given
        using var started = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/jobs", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { action = "onlinegc", parameters = new { dryRun = true } });
        var job = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.Clone();
        var ended = await DtrJobs.RunGcAsync(_host.Client, dryRun: true, AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword));

        // Assert: 202 with DTR's job; the ended job holds the GC's report
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        DtrContract.AssertMatches(job, "Job");
        Assert.Equal("onlinegc", job.GetProperty("action").GetString());
        Assert.Contains(job.GetProperty("status").GetString(), new[] { "running", "done" });
        DtrContract.AssertMatches(ended, "Job");
        Assert.True(ended.GetProperty("parameters").GetProperty("dryRun").GetBoolean());
        Assert.True(ended.GetProperty("result").GetProperty("dryRun").GetBoolean());
        Assert.True(ended.GetProperty("result").GetProperty("complete").GetBoolean());
    }

    [Fact]
    public async Task CronsAndJobs_NotSystemAdmin_Refused()
    {
        // Act
        using var userGet = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/crons/onlinegc", "dora", Password);
        using var userPut = await _auth.ApiAsync(HttpMethod.Put, "/api/v0/crons/onlinegc", "dora", Password, new { enabled = false });
        using var userJob = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/jobs", "dora", Password, new { action = "onlinegc" });
        using var anonymousJob = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/jobs", null, null, new { action = "onlinegc" });
        using var unknownCron = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/crons/poll_mirror", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var badDryRun = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/jobs", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { action = "onlinegc", parameters = new { dryRun = 3 } });

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, userGet.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, userPut.StatusCode);
        Assert.Equal("NOT_AUTHORIZED", await AuthClient.ErrorCodeAsync(userJob));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousJob.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownCron.StatusCode);
        Assert.Equal("INVALID_PARAMETER", await AuthClient.ErrorCodeAsync(badDryRun));
    }

    private async Task<string?> LastRunFinishedAsync() =>
        (await AdminJsonAsync(HttpMethod.Get, "/api/v0/crons/onlinegc")).GetProperty("lastRun").GetProperty("finishedAt").GetString();

    private async Task<JsonElement> AdminJsonAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await _auth.ApiAsync(method, path, AuthClient.AdminUser, AuthClient.AdminPassword, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
