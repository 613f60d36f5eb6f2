using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Registry.Tests.Support;

/// <summary>DTR's jobs as its clients run them: <c>POST /api/v0/jobs</c> answers 202 with the job, then the job is polled until it ends.</summary>
public static class DtrJobs
{
    /// <summary>Runs GC through the API and returns the ended job (its <c>result</c> the report); fails the test unless it ends done.</summary>
    public static async Task<JsonElement> RunGcAsync(HttpClient http, bool dryRun, AuthenticationHeaderValue? authorization = null)
    {
        using var start = new HttpRequestMessage(HttpMethod.Post, "/api/v0/jobs") { Content = JsonContent.Create(new { action = "onlinegc", parameters = new { dryRun } }) };
        start.Headers.Authorization = authorization;
        using var started = await http.SendAsync(start);
        var body = await started.Content.ReadAsStringAsync();
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"POST /api/v0/jobs: {(int)started.StatusCode} {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        JsonElement job = default;
        Assert.True(await Poll.UntilAsync(async () =>
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/api/v0/jobs/{id}");
            get.Headers.Authorization = authorization;
            using var response = await http.SendAsync(get);
            job = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return job.TryGetProperty("status", out var status) && status.GetString() is not ("running" or "waiting");
        }, TimeSpan.FromSeconds(120)), $"GC job {id} did not end");
        Assert.True(job.GetProperty("status").GetString() == "done", job.ToString());
        return job;
    }
}
