using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Health paths as DTR and load balancers use them, anonymous: with storage up, and with the host's own Azurite
/// stopped (readiness answers 503, liveness stays 200) and started again (ready again by itself).
/// </summary>
public sealed class HealthTests
{
    private static readonly string[] ReadinessPaths = ["/_ping", "/health", "/load_balancer_status", "/readyz"];

    [Fact]
    public async Task HealthPaths_StorageUp_HealthyAndCounted()
    {
        // Arrange
        await using var host = await RegistryHost.StartAsync(settings: AuthClient.Settings);
        using (await host.Client.GetAsync("/v2/"))
        {
        }

        // Act
        var answers = new List<(string Path, HttpStatusCode Status, string Body)>();
        foreach (var path in ReadinessPaths.Append("/livez"))
        {
            using var response = await host.Client.GetAsync(path);
            answers.Add((path, response.StatusCode, await response.Content.ReadAsStringAsync()));
        }

        using var status = await host.Client.GetAsync("/nginx_status");
        var text = await status.Content.ReadAsStringAsync();

        // Assert: anonymous even with authentication on; DTR's shape; the request to /v2/ counted
        Assert.All(answers, a => Assert.Equal((a.Path, HttpStatusCode.OK, "{\"Error\":\"\",\"Healthy\":true}"), a));
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.Matches(@"^Active connections: \d+\nserver accepts handled requests\n (\d+) \1 \1\nReading: 0 Writing: \d+ Waiting: 0\n$", text);
        Assert.True(long.Parse(text.Split('\n')[2].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public async Task Readiness_StorageStoppedThenBack_503ThenHealthyAgain()
    {
        // Arrange
        await using var azurite = new OwnAzurite();
        await azurite.StartAsync();
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string> { ["Registry__Storage__ConnectionString"] = azurite.ConnectionString });

        // Act: storage goes away, then comes back
        await azurite.StopAsync();
        var down = await Poll.UntilAsync(async () => (await GetAsync(host, "/_ping")).Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60));
        var whileDown = new List<(string Path, HttpStatusCode Status, string Body)>();
        foreach (var path in ReadinessPaths.Append("/livez"))
        {
            whileDown.Add(await GetAsync(host, path));
        }

        await azurite.StartAsync();
        var back = await Poll.UntilAsync(async () => (await GetAsync(host, "/_ping")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500));

        // Assert
        Assert.True(down, "readiness never said storage was gone");
        Assert.All(whileDown.Take(ReadinessPaths.Length), a =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status);
            using var body = JsonDocument.Parse(a.Body);
            Assert.False(body.RootElement.GetProperty("Healthy").GetBoolean());
            Assert.Equal("storage cannot be reached", body.RootElement.GetProperty("Error").GetString());
        });
        Assert.Equal(HttpStatusCode.OK, whileDown[^1].Status);
        Assert.True(back, $"readiness did not recover after storage came back\n{host.Output}");
    }

    private static async Task<(string Path, HttpStatusCode Status, string Body)> GetAsync(RegistryHost host, string path)
    {
        using var response = await host.Client.GetAsync(path);
        return (path, response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
