using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Registry.Oci;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>Manifest push, pull, negotiation, delete and the checks a push must pass, on Azurite.</summary>
[Collection(HostCollection.Name)]
public sealed class ManifestTests(HostFixture fixture)
{
    private readonly OciTestClient _oci = new(fixture.Host.Client);
    private HttpClient Http => _oci.Http;

    [Fact]
    public async Task GetManifest_ByTagAndDigest_ServesExactBytesWithHeaders()
    {
        // Arrange: odd spacing proves the bytes are kept, not re-serialized
        var repo = OciTestClient.NewRepository();
        var config = await _oci.PushBlobAsync(repo, "{}"u8.ToArray());
        var layer = await _oci.PushBlobAsync(repo, [9, 9, 9]);
        var json = $"{{ \"schemaVersion\" : 2,\n  \"mediaType\":\"{MediaTypes.ImageManifest}\", \"config\":{{\"mediaType\":\"{MediaTypes.ImageConfig}\",\"digest\":\"{config}\",\"size\":2}},\n\t\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{layer}\",\"size\":3}}] }}";
        var digest = OciTestClient.DigestOf(Encoding.UTF8.GetBytes(json));
        using var put = await _oci.PutManifestAsync(repo, "v1", json);

        // Act
        using var byTag = await Http.GetAsync($"/v2/{repo}/manifests/v1");
        using var byDigest = await Http.GetAsync($"/v2/{repo}/manifests/{digest}");
        using var head = await _oci.HeadAsync($"/v2/{repo}/manifests/v1");

        // Assert
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/{repo}/manifests/{digest}", put.Headers.Location!.OriginalString);
        foreach (var response in new[] { byTag, byDigest })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(json, await response.Content.ReadAsStringAsync());
            Assert.Equal(MediaTypes.ImageManifest, response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        }

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(Encoding.UTF8.GetByteCount(json), head.Content.Headers.ContentLength);
        Assert.Equal(digest, head.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task PutManifest_ReferencesMissingBlob_Returns400ManifestBlobUnknown()
    {
        // Arrange: the config exists, the layer does not (it exists in another repository only)
        var repo = OciTestClient.NewRepository();
        var config = await _oci.PushBlobAsync(repo, "{}"u8.ToArray());
        var elsewhere = await _oci.PushBlobAsync(OciTestClient.NewRepository(), [1, 2, 3]);
        var json = OciTestClient.ImageManifestJson(config, 2, elsewhere, 3);

        // Act
        using var put = await _oci.PutManifestAsync(repo, "latest", json);
        using var get = await Http.GetAsync($"/v2/{repo}/manifests/latest");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("MANIFEST_BLOB_UNKNOWN", await OciTestClient.ErrorCodeAsync(put));
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task PutManifest_IndexWithMissingChild_Returns400ManifestBlobUnknown()
    {
        var repo = OciTestClient.NewRepository();
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageIndex}\",\"manifests\":[{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"sha256:{new string('a', 64)}\",\"size\":10}}]}}";
        using var put = await _oci.PutManifestAsync(repo, "latest", json, MediaTypes.ImageIndex);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("MANIFEST_BLOB_UNKNOWN", await OciTestClient.ErrorCodeAsync(put));
    }

    [Fact]
    public async Task PutManifest_Index_OfPushedChildrenIsServedAndNegotiated()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var amd = await _oci.PushImageAsync(repo, "amd64");
        var arm = await _oci.PushImageAsync(repo, "arm64");
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageIndex}\",\"manifests\":[" +
                   $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{amd.Digest}\",\"size\":{amd.Manifest.Length},\"platform\":{{\"architecture\":\"amd64\",\"os\":\"linux\"}}}}," +
                   $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{arm.Digest}\",\"size\":{arm.Manifest.Length},\"platform\":{{\"architecture\":\"arm64\",\"os\":\"linux\"}}}}]}}";

        // Act
        using var put = await _oci.PutManifestAsync(repo, "latest", json, MediaTypes.ImageIndex);
        using var accepted = await GetWithAcceptAsync(repo, "latest", $"{MediaTypes.ImageManifest}, {MediaTypes.ImageIndex}");
        using var wildcard = await GetWithAcceptAsync(repo, "latest", "*/*");
        using var refused = await GetWithAcceptAsync(repo, "latest", $"{MediaTypes.ImageManifest}, {MediaTypes.DockerManifest}");

        // Assert
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(MediaTypes.ImageIndex, accepted.Content.Headers.ContentType!.MediaType);
        Assert.Equal(json, await accepted.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, wildcard.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await OciTestClient.ErrorCodeAsync(refused));
    }

    [Fact]
    public async Task PutManifest_DockerSchema2_IsServedWithItsMediaType()
    {
        var repo = OciTestClient.NewRepository();
        var config = await _oci.PushBlobAsync(repo, "{}"u8.ToArray());
        var layer = await _oci.PushBlobAsync(repo, [4, 5, 6]);
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.DockerManifest}\",\"config\":{{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"{config}\",\"size\":2}},\"layers\":[{{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"{layer}\",\"size\":3}}]}}";
        using var put = await _oci.PutManifestAsync(repo, "v2s2", json, MediaTypes.DockerManifest);
        using var get = await GetWithAcceptAsync(repo, "v2s2", MediaTypes.DockerManifest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(MediaTypes.DockerManifest, get.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task PutManifest_LargerThan4MiB_Returns413()
    {
        var repo = OciTestClient.NewRepository();
        var json = "{\"schemaVersion\":2,\"annotations\":{\"x\":\"" + new string('a', 4 * 1024 * 1024) + "\"}}";
        using var put = await _oci.PutManifestAsync(repo, "big", json);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
        Assert.Equal("SIZE_INVALID", await OciTestClient.ErrorCodeAsync(put));
    }

    [Theory]
    [InlineData("{not json", MediaTypes.ImageManifest)]
    [InlineData("[]", MediaTypes.ImageManifest)]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}", MediaTypes.ImageManifest)]
    [InlineData("{\"schemaVersion\":2,\"config\":null,\"layers\":[]}", MediaTypes.ImageManifest)]
    [InlineData("{\"schemaVersion\":1,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"size\":1},\"layers\":[]}", MediaTypes.ImageManifest)]
    [InlineData("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:bad\",\"size\":1},\"layers\":[]}", MediaTypes.ImageManifest)]
    [InlineData("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"size\":1},\"layers\":[]}", "application/vnd.example.unknown+json")]
    [InlineData("{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}", MediaTypes.DockerSchema1Signed)]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}", MediaTypes.ImageManifest)]
    public async Task PutManifest_InvalidManifest_Returns400ManifestInvalid(string json, string mediaType)
    {
        // Arrange
        var repo = OciTestClient.NewRepository();

        // Act
        using var put = await _oci.PutManifestAsync(repo, "bad", json, mediaType);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("MANIFEST_INVALID", await OciTestClient.ErrorCodeAsync(put));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC3 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    public async Task PutManifest_NotValidUtf8_Returns400ManifestInvalidAndStoresNothing(byte[] invalid)
    {
        // Arrange: a manifest valid in every other way, with a stray byte (0xFF, a cut sequence, a UTF-16 surrogate,
        // an overlong '/') inside an annotation's value
        var repo = OciTestClient.NewRepository();
        var config = await _oci.PushBlobAsync(repo, "{}"u8.ToArray());
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{config}\",\"size\":2}},\"layers\":[],\"annotations\":{{\"x\":\"@\"}}}}";
        var at = json.IndexOf('@');
        var bytes = Encoding.UTF8.GetBytes(json[..at]).Concat(invalid).Concat(Encoding.UTF8.GetBytes(json[(at + 1)..])).ToArray();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.ImageManifest);

        // Act
        using var put = await _oci.Http.PutAsync($"/v2/{repo}/manifests/latest", content);
        using var byTag = await _oci.Http.GetAsync($"/v2/{repo}/manifests/latest");
        using var byDigest = await _oci.Http.GetAsync($"/v2/{repo}/manifests/{OciTestClient.DigestOf(bytes)}");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("MANIFEST_INVALID", await OciTestClient.ErrorCodeAsync(put));
        Assert.Equal(HttpStatusCode.NotFound, byTag.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
    }

    [Fact]
    public async Task PutManifest_ByDigestThatDoesNotMatch_Returns400DigestInvalid()
    {
        var repo = OciTestClient.NewRepository();
        var image = await _oci.PushImageAsync(repo, "v1");
        using var put = await _oci.PutManifestAsync(repo, $"sha256:{new string('b', 64)}", image.Manifest);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("DIGEST_INVALID", await OciTestClient.ErrorCodeAsync(put));
    }

    [Fact]
    public async Task PutManifest_ByDigestWithTagQuery_TagsIt()
    {
        var repo = OciTestClient.NewRepository();
        var image = await _oci.PushImageAsync(repo, "v1");
        using var put = await _oci.PutManifestAsync(repo, $"{image.Digest}?tag=extra1&tag=extra2", image.Manifest);
        using var get = await Http.GetAsync($"/v2/{repo}/manifests/extra2");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(image.Digest, get.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task DeleteManifest_ByTag_RemovesOnlyThatTag()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var image = await _oci.PushImageAsync(repo, "one");
        using var second = await _oci.PutManifestAsync(repo, "two", image.Manifest);

        // Act
        using var delete = await Http.DeleteAsync($"/v2/{repo}/manifests/one");
        using var one = await Http.GetAsync($"/v2/{repo}/manifests/one");
        using var two = await Http.GetAsync($"/v2/{repo}/manifests/two");
        using var byDigest = await Http.GetAsync($"/v2/{repo}/manifests/{image.Digest}");
        using var again = await Http.DeleteAsync($"/v2/{repo}/manifests/one");

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, one.StatusCode);
        Assert.Equal(HttpStatusCode.OK, two.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await OciTestClient.ErrorCodeAsync(again));
    }

    [Fact]
    public async Task DeleteManifest_ByDigest_RemovesManifestAndItsTags()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var image = await _oci.PushImageAsync(repo, "one");
        var kept = await _oci.PushImageAsync(repo, "kept");

        // Act
        using var delete = await Http.DeleteAsync($"/v2/{repo}/manifests/{image.Digest}");
        using var byDigest = await Http.GetAsync($"/v2/{repo}/manifests/{image.Digest}");
        using var byTag = await Http.GetAsync($"/v2/{repo}/manifests/one");
        var tags = await Http.GetStringAsync($"/v2/{repo}/tags/list");

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byTag.StatusCode);
        Assert.Equal($"{{\"name\":\"{repo}\",\"tags\":[\"kept\"]}}", tags);
        Assert.NotEqual(kept.Digest, image.Digest);
    }

    [Fact]
    public async Task GetManifest_UnknownTagOrDigest_Returns404ManifestUnknown()
    {
        var repo = OciTestClient.NewRepository();
        using var tag = await Http.GetAsync($"/v2/{repo}/manifests/nope");
        using var digest = await Http.GetAsync($"/v2/{repo}/manifests/sha256:{new string('c', 64)}");
        Assert.Equal("MANIFEST_UNKNOWN", await OciTestClient.ErrorCodeAsync(tag));
        Assert.Equal("MANIFEST_UNKNOWN", await OciTestClient.ErrorCodeAsync(digest));
    }

    [Fact]
    public async Task PutManifest_TwoPushesOfOneTagAtOnce_LastWriterWinsAndRegistryStaysConsistent()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var a = await _oci.PushImageAsync(repo, "a");
        var b = await _oci.PushImageAsync(repo, "b");

        // Act: 10 rounds of two concurrent pushes of "race"
        for (var round = 0; round < 10; round++)
        {
            var pushes = await Task.WhenAll(
                _oci.PutManifestAsync(repo, "race", a.Manifest),
                _oci.PutManifestAsync(repo, "race", b.Manifest));
            Assert.All(pushes, p => Assert.Equal(HttpStatusCode.Created, p.StatusCode));
            foreach (var p in pushes)
            {
                p.Dispose();
            }

            // Assert: the tag names one of the two, and that manifest and its layer are whole
            using var get = await Http.GetAsync($"/v2/{repo}/manifests/race");
            var digest = get.Headers.GetValues("Docker-Content-Digest").Single();
            var winner = digest == a.Digest ? a : digest == b.Digest ? b : null;
            Assert.NotNull(winner);
            Assert.Equal(winner.Manifest, await get.Content.ReadAsStringAsync());
            Assert.Equal(winner.Layer, await _oci.GetBlobAsync(repo, winner.LayerDigest));
        }
    }

    private async Task<HttpResponseMessage> GetWithAcceptAsync(string repo, string reference, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/{reference}");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return await Http.SendAsync(request);
    }
}
