using System.Net;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Several hosts over the same storage, as Function instances are: an upload whose requests land on different
/// instances, a tag move seen elsewhere, and the proxy delivery mode with Range requests.
/// </summary>
public sealed class InstanceTests
{
    [Fact]
    public async Task ChunkedUpload_RequestsOnDifferentInstances_CompletesWithCorrectDigest()
    {
        // Arrange
        await using var one = await RegistryHost.StartAsync();
        await using var two = await RegistryHost.StartAsync(one.StoragePrefix);
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(3_000_000);
        var digest = OciTestClient.DigestOf(content);

        // Act: POST on one, PATCH on two, PATCH on one, PUT on two
        using var start = await one.Client.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.OriginalString;
        using var p1 = await new OciTestClient(two.Client).PatchAsync(location, content[..1_000_000], "0-999999");
        using var p2 = await new OciTestClient(one.Client).PatchAsync(location, content[1_000_000..2_000_000], "1000000-1999999");
        using var put = await two.Client.PutAsync($"{location}?digest={digest}", new ByteArrayContent(content[2_000_000..]));

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, p1.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, p2.StatusCode);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(content, await new OciTestClient(one.Client).GetBlobAsync(repo, digest));
    }

    [Fact]
    public async Task ChunkedUpload_WrongDigestAcrossInstances_IsRefused()
    {
        await using var one = await RegistryHost.StartAsync();
        await using var two = await RegistryHost.StartAsync(one.StoragePrefix);
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(10_000);
        using var start = await one.Client.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.OriginalString;
        using var patch = await new OciTestClient(one.Client).PatchAsync(location, content, "0-9999");

        using var put = await two.Client.PutAsync($"{location}?digest={OciTestClient.DigestOf(content[1..])}", null);

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("DIGEST_INVALID", await OciTestClient.ErrorCodeAsync(put));
    }

    [Fact]
    public async Task TagMove_OnOneInstance_SeenAtOnceThereAndWithinCacheLifetimeElsewhere()
    {
        // Arrange
        await using var one = await RegistryHost.StartAsync();
        await using var two = await RegistryHost.StartAsync(one.StoragePrefix);
        var repo = OciTestClient.NewRepository();
        var ociOne = new OciTestClient(one.Client);
        var a = await ociOne.PushImageAsync(repo, "a");
        var b = await ociOne.PushImageAsync(repo, "b");
        using var first = await ociOne.PutManifestAsync(repo, "moving", a.Manifest);
        using var warm = await two.Client.GetAsync($"/v2/{repo}/manifests/moving");

        // Act
        using var moved = await ociOne.PutManifestAsync(repo, "moving", b.Manifest);
        using var here = await one.Client.GetAsync($"/v2/{repo}/manifests/moving");
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        using var there = await two.Client.GetAsync($"/v2/{repo}/manifests/moving");

        // Assert
        Assert.Equal(a.Digest, warm.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(b.Digest, here.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(b.Digest, there.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task GetBlob_ProxyMode_StreamsWholeAndRanges()
    {
        // Arrange
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string> { ["Registry__BlobDelivery"] = "Proxy" });
        var oci = new OciTestClient(host.Client);
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(10_000);
        var digest = await oci.PushBlobAsync(repo, content);

        // Act
        using var whole = await host.Client.GetAsync($"/v2/{repo}/blobs/{digest}");
        using var range = await GetRangeAsync(host.Client, $"/v2/{repo}/blobs/{digest}", "bytes=100-199");
        using var suffix = await GetRangeAsync(host.Client, $"/v2/{repo}/blobs/{digest}", "bytes=-10");
        using var open = await GetRangeAsync(host.Client, $"/v2/{repo}/blobs/{digest}", "bytes=9990-");
        using var beyond = await GetRangeAsync(host.Client, $"/v2/{repo}/blobs/{digest}", "bytes=20000-20010");

        // Assert
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(content, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal("bytes 100-199/10000", range.Content.Headers.GetValues("Content-Range").Single());
        Assert.Equal(content[100..200], await range.Content.ReadAsByteArrayAsync());
        Assert.Equal(content[9990..], await suffix.Content.ReadAsByteArrayAsync());
        Assert.Equal(content[9990..], await open.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        Assert.Equal("bytes */10000", beyond.Content.Headers.GetValues("Content-Range").Single());
    }

    private static async Task<HttpResponseMessage> GetRangeAsync(HttpClient client, string path, string range)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Range", range);
        return await client.SendAsync(request);
    }
}
