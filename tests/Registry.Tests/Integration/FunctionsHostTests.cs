using System.Net;
using System.Text.Json;
using System.Text;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>The app as a Functions worker behind the Functions-host stand-in, with short GC grace periods.</summary>
public sealed class FunctionsHostFixture : IAsyncLifetime
{
    public RegistryHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await RegistryHost.StartFunctionsAsync(new Dictionary<string, string>
    {
        ["Registry__Gc__ManifestGracePeriod"] = "00:00:01",
        ["Registry__Gc__BlobGracePeriod"] = "00:00:01",
        ["Registry__Gc__TouchInterval"] = "00:00:01",
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// The Functions path: the worker started as the Functions host starts it, HTTP proxied to the worker's own Kestrel,
/// the timer and queue functions fired through invocation requests, and the start-up checks of the worker.
/// </summary>
public sealed class FunctionsHostTests(FunctionsHostFixture fixture) : IClassFixture<FunctionsHostFixture>
{
    private readonly OciTestClient _oci = new(fixture.Host.Client);

    [Fact]
    public async Task PushBlob_MonolithicBodyOf101MiB_StoredThroughTheWorker()
    {
        // Arrange: above the 30,000,000 bytes Kestrel allows by default, and above the 100 MiB clients send in one PUT
        var repo = OciTestClient.NewRepository("fn");
        var layer = OciTestClient.RandomBytes(101 * 1024 * 1024);

        // Act
        var digest = await _oci.PushBlobAsync(repo, layer);
        using var head = await _oci.HeadAsync($"/v2/{repo}/blobs/{digest}");

        // Assert
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(layer.Length, head.Content.Headers.ContentLength);
        Assert.Equal(layer, await _oci.GetBlobAsync(repo, digest));
    }

    [Fact]
    public async Task PushBlob_InChunks_CompletesThroughTheWorker()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("fn");
        var blob = OciTestClient.RandomBytes(3 * 1024 * 1024 + 17);
        var digest = OciTestClient.DigestOf(blob);
        using var start = await _oci.Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.ToString();

        // Act
        using var first = await _oci.PatchAsync(location, blob[..(2 * 1024 * 1024)], $"0-{2 * 1024 * 1024 - 1}");
        using var second = await _oci.PatchAsync(first.Headers.Location!.ToString(), blob[(2 * 1024 * 1024)..], $"{2 * 1024 * 1024}-{blob.Length - 1}");
        var next = second.Headers.Location!.ToString();
        using var complete = await _oci.Http.PutAsync($"{next}{(next.Contains('?', StringComparison.Ordinal) ? '&' : '?')}digest={digest}", null);

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal($"0-{blob.Length - 1}", second.Headers.GetValues("Range").Single());
        Assert.Equal(HttpStatusCode.Created, complete.StatusCode);
        Assert.Equal(blob, await _oci.GetBlobAsync(repo, digest));
    }

    [Fact]
    public async Task GetManifest_ByTagAfterPush_ServedWithItsDigest()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("fn");
        var image = await _oci.PushImageAsync(repo, "v1");

        // Act
        using var response = await _oci.Http.GetAsync($"/v2/{repo}/manifests/v1");

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(image.Digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(image.Manifest, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CollectGarbage_FiredAsTimerInvocation_RemovesUntaggedManifest()
    {
        // Arrange: v1 names a first image, then a second: the first is untagged
        var repo = OciTestClient.NewRepository("fn");
        var first = await _oci.PushImageAsync(repo, "v1");
        var second = await _oci.PushImageAsync(repo, "v1");
        await Task.Delay(TimeSpan.FromSeconds(2)); // past the one-second grace periods the host was given

        // Act: the Functions host's admin API invokes the timer function
        using var fire = await _oci.Http.PostAsync("/admin/functions/CollectGarbage", new StringContent("{}", Encoding.UTF8, "application/json"));
        var gone = await Poll.UntilAsync(async () =>
        {
            using var read = await _oci.HeadAsync($"/v2/{repo}/manifests/{first.Digest}");
            return read.StatusCode == HttpStatusCode.NotFound;
        }, TimeSpan.FromSeconds(60));

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, fire.StatusCode);
        Assert.True(gone, $"the untagged manifest is still there\n{fixture.Host.Output}");
        using var kept = await _oci.HeadAsync($"/v2/{repo}/manifests/{second.Digest}");
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
    }

    [Fact]
    public async Task ScanImage_QueuedJob_RunByTheQueueTrigger()
    {
        // Arrange
        using var database = await _oci.Http.PutAsync("/api/v0/imagescan/scan/update", new ByteArrayContent(OsvFixture.Zip()));
        var repo = OciTestClient.NewRepository("fn");
        var layer = TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled)));
        var image = await _oci.PushImageAsync(repo, "v1", layer: layer);

        // Act: the scan job goes to the Storage Queue; the stand-in's queue listener invokes ScanImage
        using var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v1", null);
        var summary = await _oci.WaitForScanAsync(repo, "v1", context: () => fixture.Host.Output);

        // Assert
        Assert.Equal(HttpStatusCode.OK, database.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, scan.StatusCode);
        Assert.Equal(image.Digest, summary.GetProperty("scannedImage").GetProperty("manifestDigest").GetString());
        Assert.Contains("CVE-2021-3449", summary.GetProperty("scannedImage").GetProperty("cves").EnumerateArray().Select(c => c.GetProperty("cvePK").GetString()));
    }

    [Fact]
    public async Task NotaryClient_ThroughTheFunctionsHost_PublishesListsAndDeletes()
    {
        // Arrange: the Notary client's multipart publish, key requests and fetches pass the worker as they pass Kestrel
        var gun = $"{fixture.Host.BaseAddress.Authority}/{OciTestClient.NewRepository("fn")}";
        using var trust = new NotaryCli.TempDirectory();

        // Act
        await NotaryCli.InitAndAddAsync(fixture.Host, trust.Path, gun, "v1", "signed through the worker");
        var list = await NotaryCli.RunAsync(fixture.Host, trust.Path, "list", gun);
        var delete = await NotaryCli.RunAsync(fixture.Host, trust.Path, "delete", gun, "--remote");
        using var gone = await fixture.Host.Client.GetAsync($"/v2/{gun}/_trust/tuf/root.json");

        // Assert
        Assert.True(delete.Code == 0, delete.Output);
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("signed through the worker"))), list.Output);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Theory]
    [InlineData("/_ping")]
    [InlineData("/livez")]
    [InlineData("/nginx_status")]
    public async Task HealthPath_ThroughTheFunctionsHost_Answers200(string path)
    {
        // Act
        using var response = await fixture.Host.Client.GetAsync(path);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TokenKeys_ThroughTheFunctionsHost_PublishedAsJwks()
    {
        // Arrange
        await using var host = await RegistryHost.StartFunctionsAsync(AuthClient.Settings);

        // Act
        using var response = await host.Client.GetAsync("/auth/jwks");

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jwk-set+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("EC", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("keys")[0].GetProperty("kty").GetString());
    }

    [Fact]
    public async Task PullThroughCache_ThroughTheFunctionsHost_StreamsTheFetchAndWarnsWhenTheUpstreamIsGone()
    {
        // Arrange: this fixture's host as the origin, a cache of it behind a Functions host of its own
        var repo = OciTestClient.NewRepository("fn");
        var image = await _oci.PushImageAsync(repo, "v1", layer: OciTestClient.RandomBytes(5 * 1024 * 1024 + 1));
        await using var proxy = await UpstreamProxy.StartAsync(fixture.Host.BaseAddress);
        await using var cacheHost = await RegistryHost.StartFunctionsAsync(new Dictionary<string, string>
        {
            ["Registry__Cache__Upstream"] = proxy.Address.AbsoluteUri,
            ["Registry__Cache__TagRevalidateAfter"] = "00:00:00",
        });
        var cache = new OciTestClient(cacheHost.Client);

        // Act
        using var manifest = await cache.Http.GetAsync($"/v2/{repo}/manifests/v1");
        using var cold = await cache.Http.GetAsync($"/v2/{repo}/blobs/{image.LayerDigest}");
        var coldBytes = await cold.Content.ReadAsByteArrayAsync();
        proxy.TooManyRequests = true;
        using var stale = await cache.Http.GetAsync($"/v2/{repo}/manifests/v1");
        using var push = await cache.Http.PostAsync($"/v2/{repo}/blobs/uploads/", new ByteArrayContent([]));

        // Assert
        Assert.Equal(image.Manifest, await manifest.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, cold.StatusCode);
        Assert.Equal(image.Layer, coldBytes);
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.StartsWith("111 ", stale.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, push.StatusCode);
    }

    [Fact]
    public async Task Challenge_ThroughTheFunctionsHost_NamesThePublicAddress()
    {
        // Arrange: the worker's own Kestrel listens elsewhere; the host forwards X-Forwarded-Host and -Proto
        await using var host = await RegistryHost.StartFunctionsAsync(AuthClient.Settings);

        // Act
        using var response = await host.Client.GetAsync("/v2/");

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains($"realm=\"{host.BaseAddress}auth/token\"", response.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Registry__Gc__Schedule", "Registry:Gc:Schedule")]
    [InlineData("Registry__Cache__Schedule", "Registry:Cache:Schedule")]
    [InlineData("Registry__Scan__Queue", "Registry:Scan:Queue")]
    [InlineData("Registry__Signing__Queue", "Registry:Signing:Queue")]
    [InlineData("Registry__Webhooks__Queue", "Registry:Webhooks:Queue")]
    [InlineData("Registry__Mirroring__Queue", "Registry:Mirroring:Queue")]
    [InlineData("Registry__Mirroring__PollSchedule", "Registry:Mirroring:PollSchedule")]
    public async Task Start_BindingSettingMissing_FailsNamingTheSetting(string appSetting, string name)
    {
        // Act
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => RegistryHost.StartFunctionsAsync(unset: [appSetting]));

        // Assert: the worker refuses to start, and says which setting and which function
        Assert.Contains($"Missing app settings that trigger bindings name: {name} (app setting {appSetting}", failure.Message, StringComparison.Ordinal);
    }
}
