using System.Net;
using System.Text.Json;
using Registry.Oci;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>Tag lists, the catalog and the referrers API, with paging and filters, on Azurite.</summary>
[Collection(HostCollection.Name)]
public sealed class DiscoveryTests(HostFixture fixture)
{
    private readonly OciTestClient _oci = new(fixture.Host.Client);
    private HttpClient Http => _oci.Http;

    [Fact]
    public async Task ListTags_WithNAndLast_PagesInLexicalOrderWithLinkHeader()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var image = await _oci.PushImageAsync(repo, "b");
        foreach (var tag in new[] { "a", "c", "D", "e_1" })
        {
            using var put = await _oci.PutManifestAsync(repo, tag, image.Manifest);
        }

        // Act
        using var first = await Http.GetAsync($"/v2/{repo}/tags/list?n=2");
        using var second = await Http.GetAsync($"/v2/{repo}/tags/list?n=2&last=a");
        using var rest = await Http.GetAsync($"/v2/{repo}/tags/list?n=10&last=c");
        var all = await Http.GetStringAsync($"/v2/{repo}/tags/list");
        using var zero = await Http.GetAsync($"/v2/{repo}/tags/list?n=0");
        using var bad = await Http.GetAsync($"/v2/{repo}/tags/list?n=-1");

        // Assert
        Assert.Equal(new[] { "D", "a" }, await TagsAsync(first));
        Assert.Equal($"</v2/{repo}/tags/list?n=2&last=a>; rel=\"next\"", first.Headers.GetValues("Link").Single());
        Assert.Equal(new[] { "b", "c" }, await TagsAsync(second));
        Assert.Equal(new[] { "e_1" }, await TagsAsync(rest));
        Assert.False(rest.Headers.Contains("Link"));
        Assert.Equal($"{{\"name\":\"{repo}\",\"tags\":[\"D\",\"a\",\"b\",\"c\",\"e_1\"]}}", all);
        Assert.Empty(await TagsAsync(zero));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task ListTags_UnknownRepository_Returns404NameUnknown()
    {
        using var response = await Http.GetAsync($"/v2/{OciTestClient.NewRepository()}/tags/list");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NAME_UNKNOWN", await OciTestClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Catalog_WithPaging_ListsPushedRepositories()
    {
        // Arrange: a fresh host, so the catalog holds exactly what this test pushes
        await using var host = await RegistryHost.StartAsync();
        var oci = new OciTestClient(host.Client);
        var names = new[] { "cat/a", "cat/b/c", "cat/d" };
        foreach (var name in names)
        {
            await oci.PushBlobAsync(name, [1]);
        }

        // Act
        using var first = await host.Client.GetAsync("/v2/_catalog?n=2");
        using var next = await host.Client.GetAsync("/v2/_catalog?n=2&last=cat/b/c");
        var all = await host.Client.GetStringAsync("/v2/_catalog");

        // Assert
        Assert.Equal(new[] { "cat/a", "cat/b/c" }, await RepositoriesAsync(first));
        Assert.Equal("</v2/_catalog?n=2&last=cat%2Fb%2Fc>; rel=\"next\"", first.Headers.GetValues("Link").Single());
        Assert.Equal(new[] { "cat/d" }, await RepositoriesAsync(next));
        Assert.Equal("{\"repositories\":[\"cat/a\",\"cat/b/c\",\"cat/d\"]}", all);
    }

    [Fact]
    public async Task Referrers_ArtifactsWithSubject_ListedAndFiltered()
    {
        // Arrange: an image, a signature and an SBOM that refer to it (the subject header comes back on push)
        var repo = OciTestClient.NewRepository();
        var image = await _oci.PushImageAsync(repo, "v1");
        var subject = $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{image.Digest}\",\"size\":{image.Manifest.Length}}}";
        var signature = await PushArtifactAsync(repo, subject, "application/vnd.example.signature");
        var sbom = await PushArtifactAsync(repo, subject, "application/spdx+json");

        // Act
        using var all = await Http.GetAsync($"/v2/{repo}/referrers/{image.Digest}");
        using var filtered = await Http.GetAsync($"/v2/{repo}/referrers/{image.Digest}?artifactType=application/spdx%2Bjson");
        using var none = await Http.GetAsync($"/v2/{repo}/referrers/sha256:{new string('d', 64)}");
        using var bad = await Http.GetAsync($"/v2/{repo}/referrers/sha256:nothex");

        // Assert
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Equal(MediaTypes.ImageIndex, all.Content.Headers.ContentType!.MediaType);
        var listed = await ManifestsAsync(all);
        Assert.Equal(new[] { signature, sbom }.Order(), listed.Select(m => m.GetProperty("digest").GetString()!).Order());
        Assert.All(listed, m => Assert.Equal(MediaTypes.ImageManifest, m.GetProperty("mediaType").GetString()));
        var only = Assert.Single(await ManifestsAsync(filtered));
        Assert.Equal(sbom, only.GetProperty("digest").GetString());
        Assert.Equal("application/spdx+json", only.GetProperty("artifactType").GetString());
        Assert.Equal("artifactType", filtered.Headers.GetValues("OCI-Filters-Applied").Single());
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Empty(await ManifestsAsync(none));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Referrers_ArtifactDeleted_NoLongerListed()
    {
        var repo = OciTestClient.NewRepository();
        var image = await _oci.PushImageAsync(repo, "v1");
        var subject = $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{image.Digest}\",\"size\":{image.Manifest.Length}}}";
        var signature = await PushArtifactAsync(repo, subject, "application/vnd.example.signature");

        using var delete = await Http.DeleteAsync($"/v2/{repo}/manifests/{signature}");
        using var list = await Http.GetAsync($"/v2/{repo}/referrers/{image.Digest}");

        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Empty(await ManifestsAsync(list));
    }

    /// <summary>An artifact after the image-spec guidance: artifactType, the empty config, one layer, a subject.</summary>
    private async Task<string> PushArtifactAsync(string repo, string subject, string artifactType)
    {
        var empty = await _oci.PushBlobAsync(repo, "{}"u8.ToArray());
        var payload = await _oci.PushBlobAsync(repo, OciTestClient.RandomBytes(64));
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"artifactType\":\"{artifactType}\"," +
                   $"\"config\":{{\"mediaType\":\"{MediaTypes.EmptyJson}\",\"digest\":\"{empty}\",\"size\":2}}," +
                   $"\"layers\":[{{\"mediaType\":\"application/octet-stream\",\"digest\":\"{payload}\",\"size\":64}}]," +
                   $"\"subject\":{subject},\"annotations\":{{\"org.opencontainers.image.created\":\"2026-01-01T00:00:00Z\"}}}}";
        var digest = OciTestClient.DigestOf(System.Text.Encoding.UTF8.GetBytes(json));
        using var put = await _oci.PutManifestAsync(repo, digest, json);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(JsonDocument.Parse(subject).RootElement.GetProperty("digest").GetString(), put.Headers.GetValues("OCI-Subject").Single());
        return digest;
    }

    private static async Task<string[]> TagsAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray();

    private static async Task<string[]> RepositoriesAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("repositories").EnumerateArray().Select(t => t.GetString()!).ToArray();

    private static async Task<JsonElement[]> ManifestsAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("manifests").EnumerateArray().ToArray();
}
