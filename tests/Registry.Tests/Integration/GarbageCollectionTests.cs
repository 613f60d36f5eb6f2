using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Storage;
using Registry.Tests.Support;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Registry.Tests.Integration;

/// <summary>
/// Online GC on Azurite through POST /api/v0/jobs, on a host whose grace periods are two seconds (the timer fires
/// once a year, so only requests collect): what goes, what stays (tags, index children, referrers, links of other
/// repositories, young content), dry runs, expired uploads, the races with a push, and pushes and pulls in parallel
/// with repeated runs.
/// </summary>
public sealed class GarbageCollectionTests : IAsyncLifetime
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    private RegistryHost _host = null!;
    private OciTestClient _oci = null!;

    public static Dictionary<string, string> GcSettings(string schedule = "0 0 0 1 1 *") => new()
    {
        ["Registry__Gc__Schedule"] = schedule,
        ["Registry__Gc__ManifestGracePeriod"] = "00:00:02",
        ["Registry__Gc__BlobGracePeriod"] = "00:00:02",
        ["Registry__Gc__UploadLifetime"] = "00:00:02",
        ["Registry__Gc__TouchInterval"] = "00:00:01",
    };

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync(settings: GcSettings());
        _oci = new OciTestClient(_host.Client);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task RunJob_UntaggedManifestPastGrace_DryRunReportsThenRunRemovesIt()
    {
        // Arrange: a tagged image, and one whose only tag is deleted
        var repo = OciTestClient.NewRepository("gc");
        var kept = await _oci.PushImageAsync(repo, "kept");
        var gone = await _oci.PushImageAsync(repo, "gone");
        using (var untag = await _oci.Http.DeleteAsync($"/v2/{repo}/manifests/gone"))
        {
            Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
        }

        await Task.Delay(Grace + TimeSpan.FromSeconds(1));

        // Act
        var dry = await RunAsync(dryRun: true);
        using var stillThere = await _oci.Http.GetAsync($"/v2/{repo}/manifests/{gone.Digest}");
        var real = await RunAsync(dryRun: false);

        // Assert: the dry run lists the manifest, its layer, config and bytes, and deletes nothing
        Assert.True(dry.GetProperty("dryRun").GetBoolean());
        Assert.Contains($"{repo}@{gone.Digest}", Strings(dry, "manifests"));
        var dryBlobs = dry.GetProperty("blobs").EnumerateArray().ToDictionary(b => b.GetProperty("digest").GetString()!, b => b.GetProperty("size").GetInt64());
        Assert.Equal(gone.Layer.Length, dryBlobs[gone.LayerDigest]);
        Assert.Contains(gone.Digest, dryBlobs.Keys);
        Assert.DoesNotContain(kept.LayerDigest, dryBlobs.Keys);
        Assert.True(dry.GetProperty("bytesFreed").GetInt64() >= gone.Layer.Length + gone.Manifest.Length);
        Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);

        // ... and the run removes exactly that, keeping the tagged image whole
        Assert.Contains($"{repo}@{gone.Digest}", Strings(real, "manifests"));
        Assert.True(real.GetProperty("complete").GetBoolean());
        await AssertGoneAsync(repo, gone);
        await AssertPullableAsync(repo, "kept", kept);
    }

    [Fact]
    public async Task RunJob_YoungUntaggedManifest_Kept()
    {
        // Arrange: untagged just now, well within the grace period
        var repo = OciTestClient.NewRepository("gc");
        var image = await _oci.PushImageAsync(repo, "t");
        using (var untag = await _oci.Http.DeleteAsync($"/v2/{repo}/manifests/t"))
        {
            Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
        }

        // Act
        var report = await RunAsync(dryRun: false);

        // Assert
        Assert.DoesNotContain($"{repo}@{image.Digest}", Strings(report, "manifests"));
        using var manifest = await _oci.Http.GetAsync($"/v2/{repo}/manifests/{image.Digest}");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(image.Layer, await _oci.GetBlobAsync(repo, image.LayerDigest));
    }

    [Fact]
    public async Task RunJob_IndexChildAndReferrerOfLiveManifest_KeptWhileReferrerOfDeadManifestGoes()
    {
        // Arrange: child (untagged) named by a tagged index; a signature-like referrer of the child; an untagged
        // manifest with a referrer of its own
        var repo = OciTestClient.NewRepository("gc");
        var child = await _oci.PushImageAsync(repo, "child");
        var index = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageIndex}\",\"manifests\":[{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{child.Digest}\",\"size\":{child.Manifest.Length},\"platform\":{{\"architecture\":\"amd64\",\"os\":\"linux\"}}}}]}}";
        using (var put = await _oci.PutManifestAsync(repo, "multi", index, MediaTypes.ImageIndex))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var referrer = await _oci.PushImageAsync(repo, "sig", Subject(child), "application/vnd.example.sig");
        var dead = await _oci.PushImageAsync(repo, "dead");
        var deadReferrer = await _oci.PushImageAsync(repo, "dead-sig", Subject(dead), "application/vnd.example.sig");
        foreach (var tag in new[] { "child", "sig", "dead", "dead-sig" })
        {
            using var untag = await _oci.Http.DeleteAsync($"/v2/{repo}/manifests/{tag}");
            Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
        }

        await Task.Delay(Grace + TimeSpan.FromSeconds(1));

        // Act
        var report = await RunAsync(dryRun: false);

        // Assert
        var removed = Strings(report, "manifests");
        Assert.Contains($"{repo}@{dead.Digest}", removed);
        Assert.Contains($"{repo}@{deadReferrer.Digest}", removed);
        Assert.DoesNotContain($"{repo}@{child.Digest}", removed);
        Assert.DoesNotContain($"{repo}@{referrer.Digest}", removed);
        await AssertPullableAsync(repo, child.Digest, child);
        await AssertPullableAsync(repo, referrer.Digest, referrer);
        await AssertGoneAsync(repo, dead);
        using var referrers = await _oci.Http.GetAsync($"/v2/{repo}/referrers/{child.Digest}");
        Assert.Contains(referrer.Digest, await referrers.Content.ReadAsStringAsync());
        using var deadReferrers = await _oci.Http.GetAsync($"/v2/{repo}/referrers/{dead.Digest}");
        Assert.DoesNotContain(deadReferrer.Digest, await deadReferrers.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RunJob_BlobStillLinkedByAnotherRepository_ContentKept()
    {
        // Arrange: the layer is mounted into a second repository, whose image keeps its tag
        var first = OciTestClient.NewRepository("gc");
        var second = OciTestClient.NewRepository("gc");
        var image = await _oci.PushImageAsync(first, "t");
        using (var mount = await _oci.Http.PostAsync($"/v2/{second}/blobs/uploads/?mount={image.LayerDigest}&from={first}", null))
        {
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        }

        var configBytes = Encoding.UTF8.GetBytes("{\"os\":\"linux\",\"architecture\":\"arm64\"}");
        var config = await _oci.PushBlobAsync(second, configBytes);
        var manifest = OciTestClient.ImageManifestJson(config, configBytes.Length, image.LayerDigest, image.Layer.Length);
        using (var put = await _oci.PutManifestAsync(second, "t", manifest))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var untag = await _oci.Http.DeleteAsync($"/v2/{first}/manifests/t"))
        {
            Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
        }

        await Task.Delay(Grace + TimeSpan.FromSeconds(1));

        // Act
        var report = await RunAsync(dryRun: false);

        // Assert: the first repository lost its manifest and link; the content stays for the second
        Assert.Contains($"{first}@{image.Digest}", Strings(report, "manifests"));
        Assert.DoesNotContain(image.LayerDigest, report.GetProperty("blobs").EnumerateArray().Select(b => b.GetProperty("digest").GetString()));
        using var head = await _oci.HeadAsync($"/v2/{first}/blobs/{image.LayerDigest}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(image.Layer, await _oci.GetBlobAsync(second, image.LayerDigest));
    }

    [Fact]
    public async Task RunJob_IdleUpload_Expired()
    {
        // Arrange: an upload with one chunk, then idle beyond the upload lifetime
        var repo = OciTestClient.NewRepository("gc");
        using var start = await _oci.Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.ToString();
        using (var chunk = await _oci.PatchAsync(location, OciTestClient.RandomBytes(100), "0-99"))
        {
            Assert.Equal(HttpStatusCode.Accepted, chunk.StatusCode);
        }

        await Task.Delay(Grace + TimeSpan.FromSeconds(1));

        // Act
        var report = await RunAsync(dryRun: false);

        // Assert
        Assert.True(report.GetProperty("uploadsExpired").GetInt32() >= 1);
        using var status = await _oci.Http.GetAsync(location);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        Assert.Equal("BLOB_UPLOAD_UNKNOWN", await OciTestClient.ErrorCodeAsync(status));
    }

    [Fact]
    public async Task DeleteIfUnchanged_BlobTouchedByPushAfterListing_DeleteFailsAndContentStays()
    {
        // Arrange: content and a link that GC would collect, listed as GC lists them
        var (content, metadata, _) = Stores();
        var repo = OciTestClient.NewRepository("gc");
        var bytes = OciTestClient.RandomBytes(2048);
        var digest = await _oci.PushBlobAsync(repo, bytes);
        await Task.Delay(Grace + TimeSpan.FromSeconds(1));
        var listedBlob = await FindAsync(content, digest);
        var listedLink = (await metadata.ListBlobLinksAsync(NameOf(repo))).Single(l => l.Digest == digest);

        // Act: a pusher checks the blob (HEAD touches the old link) and pushes the same content again (touches the
        // content), then GC deletes what it listed
        using var head = await _oci.HeadAsync($"/v2/{repo}/blobs/{digest}");
        var other = OciTestClient.NewRepository("gc");
        await _oci.PushBlobAsync(other, bytes);
        var linkDeleted = await metadata.DeleteBlobLinkIfUnchangedAsync(NameOf(repo), listedLink);
        var blobDeleted = await content.DeleteIfUnchangedAsync(listedBlob);

        // Assert
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.False(linkDeleted);
        Assert.False(blobDeleted);
        Assert.Equal(bytes, await _oci.GetBlobAsync(repo, digest));
        Assert.Equal(bytes, await _oci.GetBlobAsync(other, digest));
    }

    [Fact]
    public async Task PutManifest_LayerLinkDeletedByGcFirst_RefusedThenReuploadWorks()
    {
        // Arrange: an old unreferenced layer link, which GC lists and deletes before the manifest arrives
        var (_, metadata, _) = Stores();
        var repo = OciTestClient.NewRepository("gc");
        var layer = OciTestClient.RandomBytes(512);
        var layerDigest = await _oci.PushBlobAsync(repo, layer);
        var config = Encoding.UTF8.GetBytes("{\"os\":\"linux\",\"architecture\":\"amd64\"}");
        var configDigest = await _oci.PushBlobAsync(repo, config);
        await Task.Delay(Grace + TimeSpan.FromSeconds(1));
        var listed = (await metadata.ListBlobLinksAsync(NameOf(repo))).Single(l => l.Digest == layerDigest);
        Assert.True(await metadata.DeleteBlobLinkIfUnchangedAsync(NameOf(repo), listed));
        var manifest = OciTestClient.ImageManifestJson(configDigest, config.Length, layerDigest, layer.Length);

        // Act: the push that relied on the layer is refused; the client uploads it again and retries
        using var refused = await _oci.PutManifestAsync(repo, "t", manifest);
        await _oci.PushBlobAsync(repo, layer);
        using var retried = await _oci.PutManifestAsync(repo, "t", manifest);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("MANIFEST_BLOB_UNKNOWN", await OciTestClient.ErrorCodeAsync(refused));
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(layer, await _oci.GetBlobAsync(repo, layerDigest));
    }

    [Fact]
    public async Task RunJob_InParallelWithPushesAndPulls_EveryTaggedDigestStaysWhole()
    {
        // Arrange: four pushers, each in its own repository, share a base layer (uploaded when a HEAD misses it,
        // skipped otherwise, as clients do). Each round moves the pusher's tag, leaving an untagged manifest behind;
        // every other round the pusher also drops its tag and pauses about as long as the grace period, so the base
        // layer's link, and at times its content, become garbage while it and the others push it again
        var root = OciTestClient.NewRepository("gcr");
        var baseLayer = OciTestClient.RandomBytes(4096);
        var baseDigest = OciTestClient.DigestOf(baseLayer);
        var stop = DateTime.UtcNow.AddSeconds(20);
        var pushed = new System.Collections.Concurrent.ConcurrentDictionary<string, PushedImage>();
        var retries = 0;
        var runs = new List<JsonElement>();

        async Task PushLoopAsync(int worker)
        {
            var repo = $"{root}/w{worker}";
            for (var round = 0; DateTime.UtcNow < stop; round++)
            {
                var image = await TryPushAsync(repo, "t", baseLayer, baseDigest);
                if (image is null)
                {
                    Interlocked.Increment(ref retries);
                    continue;
                }

                pushed[repo] = image;
                await AssertPullableAsync(repo, "t", image, baseDigest, baseLayer);
                if ((round + worker) % 2 == 0)
                {
                    pushed.TryRemove(repo, out _);
                    using var untag = await _oci.Http.DeleteAsync($"/v2/{repo}/manifests/t");
                    Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
                    // A pause of random length, so the next HEAD lands at every point of GC's work on this repository.
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1500, 3500)));
                }
            }

            // The last push stays tagged, for the checks after the final run.
            var last = await TryPushAsync(repo, "t", baseLayer, baseDigest) ?? await TryPushAsync(repo, "t", baseLayer, baseDigest);
            pushed[repo] = last!;
        }

        async Task GcLoopAsync()
        {
            while (DateTime.UtcNow < stop)
            {
                runs.Add(await RunAsync(dryRun: false));
            }
        }

        // Act
        await Task.WhenAll(Enumerable.Range(0, 4).Select(PushLoopAsync).Append(GcLoopAsync()));
        await Task.Delay(Grace + TimeSpan.FromSeconds(1));
        runs.Add(await RunAsync(dryRun: false));

        // Assert: GC removed manifests, links and content all along, and every tag still resolves to a whole image
        Assert.True(runs.Sum(r => r.GetProperty("manifestsDeleted").GetInt32()) > 0);
        Assert.True(runs.Sum(r => r.GetProperty("blobLinksDeleted").GetInt32()) > 0);
        Assert.True(runs.Sum(r => r.GetProperty("blobsDeleted").GetInt32()) > 0);
        Assert.All(runs, r => Assert.True(r.GetProperty("complete").GetBoolean()));
        Assert.NotEmpty(pushed);
        foreach (var (repo, image) in pushed)
        {
            await AssertPullableAsync(repo, "t", image, baseDigest, baseLayer);
        }

        Assert.True(retries <= 2, $"{retries} pushes had to start again");
    }

    [Fact]
    public async Task RunJob_ScannedImageGone_RemovesItsScanRecordsKeepsTheLiveImages()
    {
        // Arrange: two scanned images (each layer an Alpine package database); one loses its only tag
        var repo = OciTestClient.NewRepository("gc");
        var images = new Dictionary<string, PushedImage>();
        foreach (var tag in new[] { "kept", "gone" })
        {
            var layer = TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled), ("id", tag)));
            images[tag] = await _oci.PushImageAsync(repo, tag, layer: layer);
            using var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/{tag}", null);
            Assert.Equal(HttpStatusCode.Accepted, scan.StatusCode);
        }

        foreach (var tag in images.Keys)
        {
            await _oci.WaitForScanAsync(repo, tag);
        }

        var (_, _, scans) = Stores();
        var before = await ScanRecordDigestsAsync(scans);
        using (var untag = await _oci.Http.DeleteAsync($"/v2/{repo}/manifests/gone"))
        {
            Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
        }

        await Task.Delay(Grace + TimeSpan.FromSeconds(1));

        // Act
        var dry = await RunAsync(dryRun: true);
        var afterDry = await ScanRecordDigestsAsync(scans);
        var real = await RunAsync(dryRun: false);
        var after = await ScanRecordDigestsAsync(scans);

        // Assert: the layer analysis, inventory, report and scan row of the gone image go; the kept image's stay
        var (kept, gone) = (images["kept"], images["gone"]);
        Assert.Equal(new[] { gone.Digest, gone.Digest, gone.Digest, gone.LayerDigest }.Order(StringComparer.Ordinal), before.Where(d => d == gone.Digest || d == gone.LayerDigest));
        Assert.Equal(4, dry.GetProperty("scanRecordsDeleted").GetInt32());
        Assert.Equal(before, afterDry);
        Assert.Equal(4, real.GetProperty("scanRecordsDeleted").GetInt32());
        Assert.Equal(before.Where(d => d != gone.Digest && d != gone.LayerDigest), after);
        Assert.Equal(new[] { kept.Digest, kept.Digest, kept.Digest, kept.LayerDigest }.Order(StringComparer.Ordinal), after);
        Assert.Equal(6, (await _oci.WaitForScanAsync(repo, "kept")).GetProperty("scanStatus").GetInt32());
    }

    /// <summary>One push as a client makes it: HEAD the base layer and upload it only when missing.</summary>
    private async Task<PushedImage?> TryPushAsync(string repo, string tag, byte[] baseLayer, string baseDigest)
    {
        using (var head = await _oci.HeadAsync($"/v2/{repo}/blobs/{baseDigest}"))
        {
            if (head.StatusCode == HttpStatusCode.NotFound)
            {
                await _oci.PushBlobAsync(repo, baseLayer);
            }
        }

        var layer = OciTestClient.RandomBytes(256 * 1024);
        var layerDigest = await _oci.PushBlobAsync(repo, layer);
        var config = Encoding.UTF8.GetBytes($"{{\"os\":\"linux\",\"architecture\":\"amd64\",\"n\":\"{Guid.NewGuid():N}\"}}");
        var configDigest = await _oci.PushBlobAsync(repo, config);
        var manifest = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"config\":{{\"mediaType\":\"{MediaTypes.ImageConfig}\",\"digest\":\"{configDigest}\",\"size\":{config.Length}}}," +
            $"\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{baseDigest}\",\"size\":{baseLayer.Length}}}," +
            $"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{layerDigest}\",\"size\":{layer.Length}}}]}}";
        using var put = await _oci.PutManifestAsync(repo, tag, manifest);
        if (put.StatusCode == HttpStatusCode.BadRequest && await OciTestClient.ErrorCodeAsync(put) == "MANIFEST_BLOB_UNKNOWN")
        {
            return null;   // GC took a blob between the checks: a client uploads again
        }

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return new PushedImage(OciTestClient.DigestOf(Encoding.UTF8.GetBytes(manifest)), manifest, layerDigest, layer);
    }

    private async Task<JsonElement> RunAsync(bool dryRun) => (await DtrJobs.RunGcAsync(_oci.Http, dryRun)).GetProperty("result");

    private async Task AssertPullableAsync(string repo, string reference, PushedImage image, string? baseDigest = null, byte[]? baseLayer = null)
    {
        using var manifest = await _oci.Http.GetAsync($"/v2/{repo}/manifests/{reference}");
        Assert.True(manifest.StatusCode == HttpStatusCode.OK, $"{repo}:{reference} answered {manifest.StatusCode}");
        var bytes = await manifest.Content.ReadAsByteArrayAsync();
        Assert.Equal(image.Digest, OciTestClient.DigestOf(bytes));
        using var document = JsonDocument.Parse(bytes);
        var config = document.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        Assert.Equal(config, OciTestClient.DigestOf(await _oci.GetBlobAsync(repo, config)));
        Assert.Equal(image.Layer, await _oci.GetBlobAsync(repo, image.LayerDigest));
        if (baseDigest is not null)
        {
            Assert.Equal(baseLayer, await _oci.GetBlobAsync(repo, baseDigest));
        }
    }

    private async Task AssertGoneAsync(string repo, PushedImage image)
    {
        using var manifest = await _oci.Http.GetAsync($"/v2/{repo}/manifests/{image.Digest}");
        Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
        using var layer = await _oci.HeadAsync($"/v2/{repo}/blobs/{image.LayerDigest}");
        Assert.Equal(HttpStatusCode.NotFound, layer.StatusCode);
        var (content, _, _) = Stores();
        Assert.Null(await FindOrNullAsync(content, image.LayerDigest));
    }

    /// <summary>The digest of every scan record blob and scan row, sorted.</summary>
    private static async Task<List<string>> ScanRecordDigestsAsync(ScanStore scans)
    {
        var digests = new List<string>();
        await foreach (var record in scans.ListRecordsAsync())
        {
            digests.Add(record.Name);
        }

        digests.AddRange((await scans.ListScansAsync()).Select(row => row.Digest));
        digests.Sort(StringComparer.Ordinal);
        return digests;
    }

    private static RepositoryName NameOf(string repo) =>
        RepositoryName.TryParse(repo, out var name) ? name : throw new ArgumentException($"{repo} is not a repository name", nameof(repo));

    private static string Subject(PushedImage image) =>
        $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{image.Digest}\",\"size\":{image.Manifest.Length}}}";

    private static IEnumerable<string> Strings(JsonElement report, string property) =>
        report.GetProperty(property).EnumerateArray().Select(e => e.GetString()!);

    /// <summary>The host's own stores, opened in the test process on the same storage.</summary>
    private (ContentStore Content, MetadataStore Metadata, ScanStore Scans) Stores()
    {
        var clients = new StorageClients(MsOptions.Create(new StorageOptions
        {
            ConnectionString = AzuriteCheck.ConnectionString,
            Container = _host.StoragePrefix,
            TablePrefix = _host.StoragePrefix,
        }));
        var registry = MsOptions.Create(new RegistryOptions());
        return (new ContentStore(clients, registry, TimeProvider.System),
            new MetadataStore(clients, new PolicyStore(clients, MsOptions.Create(new MirroringOptions())), new MemoryCache(new MemoryCacheOptions()), registry, TimeProvider.System),
            new ScanStore(clients, MsOptions.Create(new ScanOptions())));
    }

    private static async Task<StoredBlob> FindAsync(ContentStore content, string digest) =>
        await FindOrNullAsync(content, digest) ?? throw new InvalidOperationException($"{digest} is not stored");

    private static async Task<StoredBlob?> FindOrNullAsync(ContentStore content, string digest)
    {
        await foreach (var blob in content.ListContentAsync())
        {
            if (blob.Name == digest)
            {
                return blob;
            }
        }

        return null;
    }
}
