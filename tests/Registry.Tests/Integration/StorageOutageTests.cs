using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Storage outages: the host's own Azurite is stopped under it and started again. While storage is down, requests
/// answer 503 with Retry-After in the API's own format within seconds and the host stays up; when storage is back, the
/// host serves again by itself. A host started while storage is down starts, and is ready once storage answers.
/// </summary>
public sealed class StorageOutageTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task StorageStopped45Seconds_HostAnswers503ThenRecovers()
    {
        // Arrange: a host over an Azurite of its own, with an image pushed
        await using var azurite = new OwnAzurite();
        await azurite.StartAsync();
        await using var host = await RegistryHost.StartAsync(settings: Settings(azurite));
        var oci = new OciTestClient(host.Client);
        var repo = OciTestClient.NewRepository("outage");
        var image = await oci.PushImageAsync(repo, "v1");

        // Act: storage goes away for 45 s; every few seconds a client asks
        await azurite.StopAsync();
        var answers = new List<(HttpStatusCode Registry, string? RetryAfter, HttpStatusCode Api, TimeSpan Took)>();
        var outage = Stopwatch.StartNew();
        while (outage.Elapsed < Outage)
        {
            var took = Stopwatch.StartNew();
            using var tags = await host.Client.GetAsync($"/v2/{repo}/tags/list");
            using var api = await host.Client.GetAsync($"/api/v0/repositories/{repo}");
            answers.Add((tags.StatusCode, tags.Headers.RetryAfter?.ToString(), api.StatusCode, took.Elapsed));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, tags.StatusCode);
            Assert.Equal("UNAVAILABLE", await OciTestClient.ErrorCodeAsync(tags));
            Assert.Equal("SERVICE_UNAVAILABLE", await OciTestClient.ErrorCodeAsync(api));
            await Task.Delay(TimeSpan.FromSeconds(3));
        }

        await azurite.StartAsync();
        var recovered = await Poll.UntilAsync(async () =>
        {
            using var read = await host.Client.GetAsync($"/v2/{repo}/manifests/v1");
            return read.StatusCode == HttpStatusCode.OK && read.Headers.GetValues("Docker-Content-Digest").Single() == image.Digest;
        }, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500));

        // Assert: 503 with Retry-After throughout, each within seconds, and the host serving again by itself
        Assert.True(answers.Count >= 5);
        Assert.All(answers, a =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Api);
            Assert.NotNull(a.RetryAfter);
            Assert.True(a.Took < TimeSpan.FromSeconds(15), $"an answer took {a.Took}");
        });
        Assert.True(recovered, $"the host did not serve again after storage came back\n{host.Output}");
        Assert.DoesNotContain("BackgroundService failed", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartWhileStorageDown_HostStartsAnd503sThenServes()
    {
        // Arrange: storage that was never started
        await using var azurite = new OwnAzurite();

        // Act
        await using var host = await RegistryHost.StartAsync(settings: Settings(azurite));
        using var during = await host.Client.GetAsync("/v2/outage/start/tags/list");
        await azurite.StartAsync();
        var served = await Poll.UntilAsync(async () =>
        {
            using var after = await host.Client.PostAsync("/v2/outage/start/blobs/uploads/", null);
            return after.StatusCode == HttpStatusCode.Accepted;
        }, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500));

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.True(served, $"the host did not serve once storage was up\n{host.Output}");
    }

    [Fact]
    public async Task StorageThatNeverAnswers_HostStartsAndAnswers503()
    {
        // Arrange: storage that accepts connections and never answers (a hung account or a black-holing network),
        // with a short network timeout and no retries so that each request gives up within a second
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var held = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await silent.AcceptTcpClientAsync(stop.Token));
            }
        });
        var settings = new Dictionary<string, string>
        {
            ["Registry__Storage__ConnectionString"] =
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
                $"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
            ["Registry__Storage__NetworkTimeout"] = "00:00:01",
            ["Registry__Storage__MaxRetries"] = "0",
            ["Registry__MetadataCacheLifetime"] = "00:00:00.001",
        };

        // Act: the host starts (its start-up creation of the tables times out), then a pull and an API request
        await using var host = await RegistryHost.StartAsync(settings: settings);
        using var tags = await host.Client.GetAsync("/v2/outage/silent/tags/list");
        using var api = await host.Client.GetAsync("/api/v0/repositories/outage/silent");
        await stop.CancelAsync();
        silent.Stop();
        await Task.WhenAny(accepting);
        held.ForEach(c => c.Dispose());

        // Assert: the storage timeout is an outage (503 with Retry-After in each API's format), not an internal error
        Assert.Equal(HttpStatusCode.ServiceUnavailable, tags.StatusCode);
        Assert.Equal("UNAVAILABLE", await OciTestClient.ErrorCodeAsync(tags));
        Assert.NotNull(tags.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
        Assert.Equal("SERVICE_UNAVAILABLE", await OciTestClient.ErrorCodeAsync(api));
    }

    private static Dictionary<string, string> Settings(OwnAzurite azurite) => new()
    {
        ["Registry__Storage__ConnectionString"] = azurite.ConnectionString,
        // every read goes to storage (a cached tag would be answered from memory during the outage)
        ["Registry__MetadataCacheLifetime"] = "00:00:00.001",
    };
}
