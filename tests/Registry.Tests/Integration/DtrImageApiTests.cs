using System.Net;
using System.Text;
using System.Text.Json;
using Registry.Oci;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// DTR's tags and manifests of a repository (/api/v0/repositories/&lt;ns&gt;/&lt;repo&gt;/tags and /manifests) on a host with
/// authentication on, each answer checked against DTR's model.
/// </summary>
public sealed class DtrImageApiTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task ListTags_WithAndWithoutManifests_DtrListTagWithThePusherAsAuthor()
    {
        // Arrange: an image whose history has an empty step and two layer steps, and a config with an author
        var repo = "tl" + Guid.NewGuid().ToString("N")[..8];
        var oci = await Auth.AdminRepositoryAsync(repo, new { name = repo });
        var image = await PushAsync(oci, $"admin/{repo}", "v1", "amd64", "linux", layers: 2);

        // Act
        var thin = await GetArrayAsync($"/api/v0/repositories/admin/{repo}/tags");
        var full = await GetArrayAsync($"/api/v0/repositories/admin/{repo}/tags?includeManifests=true");

        // Assert: the pusher is the author; without includeManifests the manifest is its digest alone
        var tag = Assert.Single(thin);
        DtrContract.AssertMatches(tag, "ListTag");
        Assert.Equal(("v1", image.Digest, AuthClient.AdminUser), (tag.GetProperty("name").GetString(), tag.GetProperty("digest").GetString(), tag.GetProperty("author").GetString()));
        Assert.Equal([("digest", image.Digest)], tag.GetProperty("manifest").EnumerateObject().Select(p => (p.Name, p.Value.GetString())).ToArray());

        var manifest = Assert.Single(full).GetProperty("manifest");
        DtrContract.AssertMatches(Assert.Single(full), "ListTag");
        Assert.Equal((image.Digest, MediaTypes.ImageManifest, "linux", "amd64", "builder@example.com", image.ConfigDigest),
            (manifest.GetProperty("digest").GetString(), manifest.GetProperty("mediaType").GetString(), manifest.GetProperty("os").GetString(),
             manifest.GetProperty("architecture").GetString(), manifest.GetProperty("author").GetString(), manifest.GetProperty("configDigest").GetString()));
        Assert.Equal(image.Size, manifest.GetProperty("size").GetInt64());
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), manifest.GetProperty("createdAt").GetDateTimeOffset());
        var lines = manifest.GetProperty("dockerfile").EnumerateArray()
            .Select(l => (l.GetProperty("line").GetString(), l.GetProperty("layerDigest").GetString(), l.GetProperty("isEmpty").GetBoolean())).ToList();
        Assert.Equal([("ENV A=1", "", true), ("RUN step 0", image.Layers[0], false), ("RUN step 1", image.Layers[1], false)], lines);
    }

    [Fact]
    public async Task GetTag_IndexByTagAndImageByDigest_OneDtrTagPerPlatform()
    {
        // Arrange: an index of an amd64 and an arm64 image tagged "multi"; the arm64 image also tagged "arm"
        var repo = "tg" + Guid.NewGuid().ToString("N")[..8];
        var name = $"admin/{repo}";
        var oci = await Auth.AdminRepositoryAsync(repo, new { name = repo });
        var amd = await PushAsync(oci, name, "amd", "amd64", "linux", layers: 1);
        var arm = await PushAsync(oci, name, "arm", "arm64", "linux", layers: 1);
        var index = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageIndex}\",\"manifests\":[" +
                    $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{amd.Digest}\",\"size\":{amd.ManifestSize},\"platform\":{{\"os\":\"linux\",\"architecture\":\"amd64\"}}}}," +
                    $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{arm.Digest}\",\"size\":{arm.ManifestSize},\"platform\":{{\"os\":\"linux\",\"architecture\":\"arm64\"}}}}]}}";
        using (var put = await oci.PutManifestAsync(name, "multi", index, MediaTypes.ImageIndex))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Act
        var multi = await GetArrayAsync($"/api/v0/repositories/{name}/tags/multi");
        var armOnly = await GetArrayAsync($"/api/v0/repositories/{name}/tags/multi?arch=arm64");
        var byDigest = await GetArrayAsync($"/api/v0/repositories/{name}/tags/{arm.Digest}");
        using var unknown = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/{name}/tags/nope", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var anonymous = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/{name}/tags/multi", null, null);

        // Assert: the index's tag once per image, each with that image's manifest; by digest, every tag naming it
        Assert.All(multi.Concat(byDigest), t => DtrContract.AssertMatches(t, "Tag"));
        Assert.Equal([("multi", amd.Digest, "amd64"), ("multi", arm.Digest, "arm64")], multi.Select(Platform).ToArray());
        Assert.Equal([("multi", arm.Digest, "arm64")], armOnly.Select(Platform).ToArray());
        Assert.Equal([("arm", arm.Digest, "arm64")], byDigest.Select(Platform).ToArray());
        Assert.All(multi, t => Assert.Equal(("multi", "0001-01-01T00:00:00Z", false),   // each image's older scan summary, not scanned yet: no components
            (t.GetProperty("vuln_summary").GetProperty("tag").GetString(), t.GetProperty("vuln_summary").GetProperty("check_completed_at").GetString(),
             t.TryGetProperty("components", out _))));
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_REF"), (unknown.StatusCode, await AuthClient.ErrorCodeAsync(unknown)));
        Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);   // a private repository is not there for the anonymous

        static (string?, string?, string?) Platform(JsonElement t) =>
            (t.GetProperty("name").GetString(), t.GetProperty("manifest").GetProperty("digest").GetString(), t.GetProperty("manifest").GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task ListAndDeleteManifests_ByDigestTagAndBadReference_DtrShapesAndErrors()
    {
        // Arrange: two images, the second tagged twice
        var repo = "tm" + Guid.NewGuid().ToString("N")[..8];
        var name = $"admin/{repo}";
        var oci = await Auth.AdminRepositoryAsync(repo, new { name = repo });
        var first = await PushAsync(oci, name, "first", "amd64", "linux", layers: 1);
        var second = await PushAsync(oci, name, "second", "amd64", "linux", layers: 1);
        using (var again = await oci.PutManifestAsync(name, "second-too", second.Manifest))
        {
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }

        // Act: the list paged one at a time, then deletions by digest, of a digest already gone, of a bad digest and by tag
        using var page = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/{name}/manifests?pageSize=1", AuthClient.AdminUser, AuthClient.AdminPassword);
        var next = page.Headers.GetValues("X-Next-Page-Start").Single();
        var rest = await GetArrayAsync($"/api/v0/repositories/{name}/manifests?pageSize=1&pageStart={next}");
        using var byDigest = await Auth.ApiAsync(HttpMethod.Delete, $"/api/v0/repositories/{name}/manifests/{second.Digest}", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var gone = await Auth.ApiAsync(HttpMethod.Delete, $"/api/v0/repositories/{name}/manifests/{second.Digest}", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var badDigest = await Auth.ApiAsync(HttpMethod.Delete, $"/api/v0/repositories/{name}/manifests/sha256:xyz", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var byTag = await Auth.ApiAsync(HttpMethod.Delete, $"/api/v0/repositories/{name}/manifests/first", AuthClient.AdminUser, AuthClient.AdminPassword);
        var tagsAfter = await GetArrayAsync($"/api/v0/repositories/{name}/tags");
        var manifestsAfter = await GetArrayAsync($"/api/v0/repositories/{name}/manifests");

        // Assert
        var pages = JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Concat(rest).ToList();
        Assert.All(pages, m => DtrContract.AssertMatches(m, "Manifest"));
        Assert.Equal(new[] { first.Digest, second.Digest }.Order(StringComparer.Ordinal), pages.Select(m => m.GetProperty("digest").GetString()));
        Assert.Equal(HttpStatusCode.NoContent, byDigest.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_REF"), (gone.StatusCode, await AuthClient.ErrorCodeAsync(gone)));
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_DIGEST"), (badDigest.StatusCode, await AuthClient.ErrorCodeAsync(badDigest)));
        Assert.Equal(HttpStatusCode.NoContent, byTag.StatusCode);
        Assert.Empty(tagsAfter);   // second and second-too went with the manifest, first with its tag
        Assert.Equal([first.Digest], manifestsAfter.Select(m => m.GetProperty("digest").GetString()));
    }

    private async Task<IReadOnlyList<JsonElement>> GetArrayAsync(string path) =>
        (await Auth.JsonAsync(HttpMethod.Get, path, AuthClient.AdminUser, AuthClient.AdminPassword)).EnumerateArray().ToList();

    /// <summary>An image of <paramref name="layers"/> random layers whose config has a platform, an author and a history with an empty step.</summary>
    private static async Task<Image> PushAsync(OciTestClient oci, string name, string tag, string architecture, string os, int layers)
    {
        var history = string.Join(",", Enumerable.Range(0, layers).Select(i => $"{{\"created_by\":\"RUN step {i}\"}}").Prepend("{\"created_by\":\"ENV A=1\",\"empty_layer\":true}"));
        var config = Encoding.UTF8.GetBytes(
            $"{{\"architecture\":\"{architecture}\",\"os\":\"{os}\",\"author\":\"builder@example.com\",\"created\":\"2024-05-06T07:08:09Z\",\"history\":[{history}],\"n\":\"{Guid.NewGuid():N}\"}}");
        var configDigest = await oci.PushBlobAsync(name, config);
        var layerDigests = new List<string>();
        foreach (var _ in Enumerable.Range(0, layers))
        {
            layerDigests.Add(await oci.PushBlobAsync(name, OciTestClient.RandomBytes(512)));
        }

        var manifest = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"config\":{{\"mediaType\":\"{MediaTypes.ImageConfig}\",\"digest\":\"{configDigest}\",\"size\":{config.Length}}}," +
                       $"\"layers\":[{string.Join(",", layerDigests.Select(d => $"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{d}\",\"size\":512}}"))}]}}";
        using var put = await oci.PutManifestAsync(name, tag, manifest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return new Image(OciTestClient.DigestOf(Encoding.UTF8.GetBytes(manifest)), manifest, Encoding.UTF8.GetByteCount(manifest), configDigest, layerDigests, config.Length + 512L * layers);
    }

    private sealed record Image(string Digest, string Manifest, int ManifestSize, string ConfigDigest, IReadOnlyList<string> Layers, long Size);
}
