using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// An origin and caches of it, each a standalone host with storage of its own, the caches reaching the origin through
/// a counting proxy: one cache serves tags as cached for an hour, one checks them at every pull, and a second instance
/// of the first shares its storage.
/// </summary>
public sealed class CacheFixture : IAsyncLifetime
{
    public RegistryHost Origin { get; private set; } = null!;

    public UpstreamProxy Proxy { get; private set; } = null!;

    public RegistryHost Cache { get; private set; } = null!;

    public RegistryHost CacheTwin { get; private set; } = null!;

    public RegistryHost Revalidating { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Origin = await RegistryHost.StartAsync();
        Proxy = await UpstreamProxy.StartAsync(Origin.BaseAddress);
        Cache = await RegistryHost.StartAsync(settings: Settings("01:00:00"));
        CacheTwin = await RegistryHost.StartAsync(Cache.StoragePrefix, Settings("01:00:00"));
        Revalidating = await RegistryHost.StartAsync(settings: Settings("00:00:00"));
    }

    private Dictionary<string, string> Settings(string revalidateAfter) => new()
    {
        ["Registry__Cache__Upstream"] = Proxy.Address.AbsoluteUri,
        ["Registry__Cache__TagRevalidateAfter"] = revalidateAfter,
    };

    public async Task DisposeAsync()
    {
        await Revalidating.DisposeAsync();
        await CacheTwin.DisposeAsync();
        await Cache.DisposeAsync();
        await Proxy.DisposeAsync();
        await Origin.DisposeAsync();
    }
}

/// <summary>Pull-through caching of another registry: what is fetched, when, how often, and what is served when the upstream cannot answer.</summary>
public sealed class CacheTests(CacheFixture fixture) : IClassFixture<CacheFixture>
{
    private OciTestClient Origin => new(fixture.Origin.Client);
    private UpstreamProxy Proxy => fixture.Proxy;

    [Fact]
    public async Task GetBlob_Miss_StreamsTheFetchThenRedirectsToTheCachesStorage()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("cache");
        var image = await Origin.PushImageAsync(repo, "v1", layer: OciTestClient.RandomBytes(3 * 1024 * 1024 + 17));
        var cache = new OciTestClient(fixture.Cache.Client);

        // Act
        using var manifest = await cache.Http.GetAsync($"/v2/{repo}/manifests/v1");
        using var first = await cache.Http.GetAsync($"/v2/{repo}/blobs/{image.LayerDigest}");
        var firstBytes = await first.Content.ReadAsByteArrayAsync();

        // Assert: the manifest's exact bytes, the blob streamed whole to the request that fetched it
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(image.Manifest, await manifest.Content.ReadAsStringAsync());
        Assert.Equal(image.Digest, manifest.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(image.Layer, firstBytes);
        // then the cache serves it from its own storage, as the origin does, without asking the upstream again
        Assert.True(await Poll.UntilAsync(async () =>
        {
            using var again = await cache.Http.GetAsync($"/v2/{repo}/blobs/{image.LayerDigest}");
            return again.StatusCode == HttpStatusCode.TemporaryRedirect;
        }, TimeSpan.FromSeconds(30)), "the fetched blob was never served from the cache's storage");
        Assert.Equal(image.Layer, await cache.GetBlobAsync(repo, image.LayerDigest));
        Assert.Equal(1, Proxy.Count($"GET /v2/{repo}/blobs/{image.LayerDigest}"));
        using var head = await cache.HeadAsync($"/v2/{repo}/blobs/{image.LayerDigest}");
        Assert.Equal(image.Layer.Length, head.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task GetManifest_TagCachedWithinRevalidateTime_NoUpstreamRequest()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("cache");
        var image = await Origin.PushImageAsync(repo, "v1");
        var cache = new OciTestClient(fixture.Cache.Client);
        using (var first = await cache.Http.GetAsync($"/v2/{repo}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var before = Proxy.Count($"HEAD /v2/{repo}/") + Proxy.Count($"GET /v2/{repo}/");

        // Act: the tag, by digest, from the twin instance too
        using var again = await cache.Http.GetAsync($"/v2/{repo}/manifests/v1");
        using var byDigest = await cache.Http.GetAsync($"/v2/{repo}/manifests/{image.Digest}");
        using var twin = await fixture.CacheTwin.Client.GetAsync($"/v2/{repo}/manifests/v1");

        // Assert
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        Assert.Equal(HttpStatusCode.OK, twin.StatusCode);
        Assert.False(again.Headers.Contains("Warning"));
        Assert.Equal(before, Proxy.Count($"HEAD /v2/{repo}/") + Proxy.Count($"GET /v2/{repo}/"));
    }

    [Fact]
    public async Task GetManifest_TagDueForRevalidation_HeadOnlyWhenUnchangedAndFollowsAMove()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("cache");
        var first = await Origin.PushImageAsync(repo, "latest");
        var cache = new OciTestClient(fixture.Revalidating.Client);
        using (var pulled = await cache.Http.GetAsync($"/v2/{repo}/manifests/latest"))
        {
            Assert.Equal(first.Digest, pulled.Headers.GetValues("Docker-Content-Digest").Single());
        }

        // Act: unchanged upstream
        using var unchanged = await cache.Http.GetAsync($"/v2/{repo}/manifests/latest");

        // Assert: one HEAD more, no second GET of the manifest
        Assert.Equal(first.Digest, unchanged.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(2, Proxy.Count($"HEAD /v2/{repo}/manifests/latest"));
        Assert.Equal(1, Proxy.Count($"GET /v2/{repo}/manifests/"));

        // Act: the tag moves upstream
        var second = await Origin.PushImageAsync(repo, "latest");
        using var moved = await cache.Http.GetAsync($"/v2/{repo}/manifests/latest");

        // Assert
        Assert.Equal(second.Digest, moved.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(second.Manifest, await moved.Content.ReadAsStringAsync());

        // Act: the tag is deleted upstream
        using (var deleted = await Origin.Http.DeleteAsync($"/v2/{repo}/manifests/latest"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }

        using var gone = await cache.Http.GetAsync($"/v2/{repo}/manifests/latest");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await OciTestClient.ErrorCodeAsync(gone));
    }

    [Fact]
    public async Task Pull_UpstreamAnswers429_CachedContentServedWithWarning_MissAnswers503()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("cache");
        var image = await Origin.PushImageAsync(repo, "v1");
        var cache = new OciTestClient(fixture.Revalidating.Client);
        using (var pulled = await cache.Http.GetAsync($"/v2/{repo}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        }

        Assert.Equal(image.Layer, await cache.GetBlobAsync(repo, image.LayerDigest));
        Proxy.TooManyRequests = true;
        try
        {
            // Act
            using var tag = await cache.Http.GetAsync($"/v2/{repo}/manifests/v1");
            using var blob = await cache.Http.GetAsync($"/v2/{repo}/blobs/{image.LayerDigest}");
            using var missTag = await cache.Http.GetAsync($"/v2/{repo}/manifests/v2");
            using var missBlob = await cache.Http.GetAsync($"/v2/{repo}/blobs/sha256:{new string('a', 64)}");

            // Assert
            Assert.Equal(HttpStatusCode.OK, tag.StatusCode);
            Assert.Equal(image.Manifest, await tag.Content.ReadAsStringAsync());
            Assert.StartsWith("111 ", tag.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);
            Assert.Contains("429", tag.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.TemporaryRedirect, blob.StatusCode);
            foreach (var miss in new[] { missTag, missBlob })
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, miss.StatusCode);
                Assert.Equal("UNAVAILABLE", await OciTestClient.ErrorCodeAsync(miss));
                Assert.Equal(TimeSpan.FromSeconds(7), miss.Headers.RetryAfter?.Delta);
            }
        }
        finally
        {
            Proxy.TooManyRequests = false;
        }
    }

    [Fact]
    public async Task GetBlob_TwentyConcurrentMissesOnTwoInstances_OneUpstreamFetch()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("cache");
        var image = await Origin.PushImageAsync(repo, "v1", layer: OciTestClient.RandomBytes(8 * 1024 * 1024));
        using var storage = new HttpClient();

        // Act: 20 pulls at once, half on each instance
        var pulls = Enumerable.Range(0, 20).Select(async i =>
        {
            var host = i % 2 == 0 ? fixture.Cache : fixture.CacheTwin;
            using var response = await host.Client.GetAsync($"/v2/{repo}/blobs/{image.LayerDigest}");
            return response.StatusCode == HttpStatusCode.TemporaryRedirect
                ? await storage.GetByteArrayAsync(response.Headers.Location)
                : response.StatusCode == HttpStatusCode.OK
                    ? await response.Content.ReadAsByteArrayAsync()
                    : Encoding.UTF8.GetBytes($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }).ToList();
        var bodies = await Task.WhenAll(pulls);

        // Assert
        Assert.All(bodies, body => Assert.True(body.AsSpan().SequenceEqual(image.Layer), Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)))));
        Assert.Equal(1, Proxy.Count($"GET /v2/{repo}/blobs/{image.LayerDigest}"));
    }

    [Fact]
    public async Task GetBlob_StoredForAnotherRepository_LinkedOnlyWhenTheUpstreamHasIt()
    {
        // Arrange: the same layer in two repositories upstream, and in a third that does not have it
        var layer = OciTestClient.RandomBytes(2048);
        var a = OciTestClient.NewRepository("cache");
        var b = OciTestClient.NewRepository("cache");
        var c = OciTestClient.NewRepository("cache");
        var image = await Origin.PushImageAsync(a, "v1", layer: layer);
        await Origin.PushImageAsync(b, "v1", layer: layer);
        await Origin.PushImageAsync(c, "v1");
        var cache = new OciTestClient(fixture.Cache.Client);
        Assert.Equal(layer, await cache.GetBlobAsync(a, image.LayerDigest));

        // Act
        using var fromB = await cache.Http.GetAsync($"/v2/{b}/blobs/{image.LayerDigest}");
        using var fromC = await cache.Http.GetAsync($"/v2/{c}/blobs/{image.LayerDigest}");

        // Assert: b's copy is the stored one (no second fetch); c never had it
        Assert.Equal(HttpStatusCode.TemporaryRedirect, fromB.StatusCode);
        Assert.Equal(0, Proxy.Count($"GET /v2/{b}/blobs/"));
        Assert.Equal(1, Proxy.Count($"HEAD /v2/{b}/blobs/{image.LayerDigest}"));
        Assert.Equal(HttpStatusCode.NotFound, fromC.StatusCode);
        Assert.Equal("BLOB_UNKNOWN", await OciTestClient.ErrorCodeAsync(fromC));
    }

    [Fact]
    public async Task ListTags_ThroughACache_TheUpstreamsTagsOrTheCachedOnesWithWarning()
    {
        // Arrange: three tags upstream, one of them pulled through the cache
        var repo = OciTestClient.NewRepository("cache");
        foreach (var tag in new[] { "b", "a", "c" })
        {
            await Origin.PushImageAsync(repo, tag);
        }

        using (var pulled = await fixture.Cache.Client.GetAsync($"/v2/{repo}/manifests/b"))
        {
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        }

        // Act
        var listed = await fixture.Cache.Client.GetFromJsonAsync<JsonElement>($"/v2/{repo}/tags/list");
        using var paged = await fixture.Cache.Client.GetAsync($"/v2/{repo}/tags/list?n=1&last=a");
        Proxy.TooManyRequests = true;
        HttpResponseMessage cachedOnly;
        try
        {
            cachedOnly = await fixture.Cache.Client.GetAsync($"/v2/{repo}/tags/list");
        }
        finally
        {
            Proxy.TooManyRequests = false;
        }

        // Assert
        Assert.Equal(["a", "b", "c"], listed.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["b"], (await paged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("last=b", paged.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        using (cachedOnly)
        {
            Assert.Equal(["b"], (await cachedOnly.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.StartsWith("111 ", cachedOnly.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("POST", "blobs/uploads/")]
    [InlineData("PUT", "manifests/v1")]
    [InlineData("DELETE", "manifests/v1")]
    public async Task Write_ToACache_UnsupportedNothingStored(string method, string path)
    {
        // Arrange
        var repo = OciTestClient.NewRepository("cache");
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/v2/{repo}/{path}") { Content = new ByteArrayContent("{}"u8.ToArray()) };

        // Act
        using var response = await fixture.Cache.Client.SendAsync(request);

        // Assert
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("UNSUPPORTED", await OciTestClient.ErrorCodeAsync(response));
        Assert.Equal(0, Proxy.Count($"{method} /v2/{repo}/"));
    }

    [Fact]
    public async Task Pull_OriginStopped_CachedServedWithWarning_MissAnswers503()
    {
        // Arrange: an origin of its own, stopped after the first pull
        var origin = await RegistryHost.StartAsync();
        await using var cacheHost = await RegistryHost.StartAsync(settings: new Dictionary<string, string>
        {
            ["Registry__Cache__Upstream"] = origin.BaseAddress.AbsoluteUri,
            ["Registry__Cache__TagRevalidateAfter"] = "00:00:00",
            ["Registry__Cache__UpstreamTimeout"] = "00:00:05",
        });
        var repo = OciTestClient.NewRepository("cache");
        var image = await new OciTestClient(origin.Client).PushImageAsync(repo, "v1");
        var cache = new OciTestClient(cacheHost.Client);
        using (var pulled = await cache.Http.GetAsync($"/v2/{repo}/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        }

        Assert.Equal(image.Layer, await cache.GetBlobAsync(repo, image.LayerDigest));
        await origin.DisposeAsync();

        // Act
        using var tag = await cache.Http.GetAsync($"/v2/{repo}/manifests/v1");
        using var missing = await cache.Http.GetAsync($"/v2/{repo}/manifests/v2");

        // Assert
        Assert.Equal(HttpStatusCode.OK, tag.StatusCode);
        Assert.Equal(image.Manifest, await tag.Content.ReadAsStringAsync());
        Assert.StartsWith("111 ", tag.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);
        Assert.Equal(image.Layer, await cache.GetBlobAsync(repo, image.LayerDigest));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, missing.StatusCode);
        Assert.NotNull(missing.Headers.RetryAfter);
    }

    [Fact]
    public async Task MaintainCache_WarmPattern_FetchesMatchingTagsAndTheirBlobsOnly()
    {
        // Arrange: three tags upstream, two of which the pattern matches; the cache behind the Functions host
        var repo = OciTestClient.NewRepository("warm");
        var v1 = await Origin.PushImageAsync(repo, "v1");
        var v2 = await Origin.PushImageAsync(repo, "v2");
        await Origin.PushImageAsync(repo, "latest");
        await using var host = await RegistryHost.StartFunctionsAsync(new Dictionary<string, string>
        {
            ["Registry__Cache__Upstream"] = Proxy.Address.AbsoluteUri,
            ["Registry__Cache__Warm__0"] = $"{repo}:v[0-9]+",
        });

        // Act
        await RunMaintenanceAsync(host);

        // Assert: both matching images are stored (served from the cache's storage at once), the other tag untouched
        foreach (var image in new[] { v1, v2 })
        {
            using var blob = await host.Client.GetAsync($"/v2/{repo}/blobs/{image.LayerDigest}");
            Assert.Equal(HttpStatusCode.TemporaryRedirect, blob.StatusCode);
            Assert.Equal(1, Proxy.Count($"GET /v2/{repo}/blobs/{image.LayerDigest}"));
        }

        Assert.Equal(0, Proxy.Count($"HEAD /v2/{repo}/manifests/latest") + Proxy.Count($"GET /v2/{repo}/manifests/latest"));
    }

    [Fact]
    public async Task MaintainCache_AboveMaxBytes_EvictsTheLeastRecentlyPulledImage()
    {
        // Arrange: a cache of 3 MiB, two images of 2 MiB pulled through it, the first one first
        await using var host = await RegistryHost.StartFunctionsAsync(new Dictionary<string, string>
        {
            ["Registry__Cache__Upstream"] = Proxy.Address.AbsoluteUri,
            ["Registry__Cache__MaxBytes"] = (3 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var cache = new OciTestClient(host.Client);
        var repos = new[] { OciTestClient.NewRepository("evict"), OciTestClient.NewRepository("evict") };
        var images = new List<PushedImage>();
        foreach (var repo in repos)
        {
            var image = await Origin.PushImageAsync(repo, "v1", layer: OciTestClient.RandomBytes(2 * 1024 * 1024));
            using (var manifest = await cache.Http.GetAsync($"/v2/{repo}/manifests/{image.Digest}"))
            {
                Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
            }

            Assert.Equal(image.Layer, await cache.GetBlobAsync(repo, image.LayerDigest));
            images.Add(image);
        }

        // Act
        await RunMaintenanceAsync(host);
        using var first = await cache.Http.GetAsync($"/v2/{repos[0]}/manifests/{images[0].Digest}");
        using var second = await cache.Http.GetAsync($"/v2/{repos[1]}/manifests/{images[1].Digest}");

        // Assert: the first image was evicted (pulled again from the upstream), the second stayed
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, Proxy.Count($"GET /v2/{repos[0]}/manifests/{images[0].Digest}"));
        Assert.Equal(1, Proxy.Count($"GET /v2/{repos[1]}/manifests/{images[1].Digest}"));
    }

    /// <summary>Fires the maintenance timer through the Functions host's admin API and waits for its job to end.</summary>
    private static async Task RunMaintenanceAsync(RegistryHost host)
    {
        using (var fire = await host.Client.PostAsync("/admin/functions/MaintainCache", new StringContent("{}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Accepted, fire.StatusCode);
        }

        string? status = null;
        Assert.True(await Poll.UntilAsync(async () =>
        {
            var jobs = await host.Client.GetFromJsonAsync<JsonElement>("/api/v0/jobs?action=cache_maintenance&running=false");
            status = jobs.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("status").GetString()).FirstOrDefault();
            return status is not null;
        }, TimeSpan.FromSeconds(90)), $"the maintenance job did not end:\n{host.Output}");
        Assert.Equal("done", status);
    }
}
