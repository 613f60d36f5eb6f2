using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Registry.Oci;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>Two hosts on one storage, with authentication on and the storage calls of each answer in a header.</summary>
public sealed class CountingHostsFixture : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>(AuthClient.Settings)
    {
        ["Registry__CountStorageCalls"] = "true",
        // Long enough that "warm" means the cache, short enough for nothing else to matter.
        ["Registry__MetadataCacheLifetime"] = "00:01:00",
    };

    public RegistryHost Pusher { get; private set; } = null!;

    public RegistryHost Reader { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Pusher = await RegistryHost.StartAsync(settings: Settings);
        Reader = await RegistryHost.StartAsync(Pusher.StoragePrefix, Settings);
    }

    public async Task DisposeAsync()
    {
        await Reader.DisposeAsync();
        await Pusher.DisposeAsync();
    }
}

/// <summary>
/// What the hot paths cost in storage requests (the <c>X-Registry-Storage-Calls</c> header, counted by an Azure SDK
/// pipeline policy): pulls by tag and by digest on an instance that has not seen them (cold) and again (warm), HEAD of
/// a blob, a monolithic and a chunked blob push, a manifest push and token requests. docs/cost.md publishes these
/// figures; a change here changes it too.
/// </summary>
public sealed class StorageCallTests(CountingHostsFixture hosts) : IClassFixture<CountingHostsFixture>
{
    private const string Repo = "admin/counted";

    [Fact]
    public async Task Push_MonolithicBlob_StagesCommitsAndLinks()
    {
        // Arrange
        var pusher = await ClientAsync(hosts.Pusher);
        await pusher.PushBlobAsync(Repo, OciTestClient.RandomBytes(100)); // the repository exists: its row is cached
        var blob = OciTestClient.RandomBytes(1000);

        // Act
        using var response = await pusher.Http.PostAsync($"/v2/{Repo}/blobs/uploads/?digest={OciTestClient.DigestOf(blob)}", new ByteArrayContent(blob));

        // Assert: one block staged, the block list committed, the link written; no session, copy or listing
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        AssertCalls("blob-write=2, table-write=1", Calls(response));
    }

    [Fact]
    public async Task Push_ChunkedBlobOfThreeChunks_CostsPerChunk()
    {
        // Arrange
        var pusher = await ClientAsync(hosts.Pusher);
        var blob = OciTestClient.RandomBytes(3000);
        using var start = await pusher.Http.PostAsync($"/v2/{Repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.ToString();

        // Act
        var chunks = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var patch = await pusher.PatchAsync(location, blob[(i * 1000)..((i + 1) * 1000)], $"{i * 1000}-{(i * 1000) + 999}");
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            chunks.Add(Calls(patch));
        }

        using var put = await pusher.Http.PutAsync($"{location}?digest={OciTestClient.DigestOf(blob)}", null);

        // Assert: the session row; per chunk the session, the block list, one block staged and the list committed; at
        // the end the session and the block list, a server-side copy to the content blob (and its status), the upload
        // blob and row dropped, the link written
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        AssertCalls("table-write=1", Calls(start));
        Assert.All(chunks, c => AssertCalls("blob-read=1, blob-write=2, table-read=1", c));
        AssertCalls("blob-read=2, blob-write=2, table-read=1, table-write=2", Calls(put));
    }

    [Fact]
    public async Task PutManifest_WithThreeLayers_ReadsEachLinkOnce()
    {
        // Arrange
        var pusher = await ClientAsync(hosts.Pusher);
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        var configDigest = await pusher.PushBlobAsync(Repo, config);
        var layers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var layer = OciTestClient.RandomBytes(500);
            layers.Add($"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{await pusher.PushBlobAsync(Repo, layer)}\",\"size\":500}}");
        }

        var manifest = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"config\":{{\"mediaType\":\"{MediaTypes.ImageConfig}\",\"digest\":\"{configDigest}\",\"size\":{config.Length}}},\"layers\":[{string.Join(',', layers)}]}}";

        // Act
        using var put = await pusher.PutManifestAsync(Repo, "three", manifest);

        // Assert: the repository's settings and the four blob links read; the manifest's bytes, its row, the tag written
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        AssertCalls("blob-write=1, table-read=5, table-write=3", Calls(put));
    }

    [Fact]
    public async Task Pull_ByTagAndByDigest_ColdThenWarm()
    {
        // Arrange: pushed through one host, pulled through another that has not seen it
        var pusher = await ClientAsync(hosts.Pusher);
        var image = await pusher.PushImageAsync(Repo, "pulled");
        var reader = await ClientAsync(hosts.Reader);

        // Act
        var byTag = new[] { await CallsAsync(reader, $"/v2/{Repo}/manifests/pulled"), await CallsAsync(reader, $"/v2/{Repo}/manifests/pulled") };
        var other = await pusher.PushImageAsync(Repo, "other");
        var byDigest = new[] { await CallsAsync(reader, $"/v2/{Repo}/manifests/{other.Digest}"), await CallsAsync(reader, $"/v2/{Repo}/manifests/{other.Digest}") };
        var headBlob = await CallsAsync(reader, $"/v2/{Repo}/blobs/{image.LayerDigest}", HttpMethod.Head);

        // Assert: the tag, the manifest row and the namespace's trust policies (one query, then kept) when cold (by
        // digest the row alone), nothing when warm; a blob's link
        AssertCalls("table-read=2, table-query=1", byTag[0]);
        AssertCalls("", byTag[1]);
        AssertCalls("table-read=1", byDigest[0]);
        AssertCalls("", byDigest[1]);
        AssertCalls("table-read=1", headBlob);
    }

    [Fact]
    public async Task Token_PasswordLoginAndAnonymous_OneReadEach()
    {
        // Arrange
        var auth = new AuthClient(hosts.Pusher.Client);
        await auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, $"repository:{Repo}:pull"); // signing key cached

        // Act
        using var login = await TokenAsync(AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword));
        using var anonymous = await TokenAsync(null);

        // Assert: the account, read once (the signing key is cached)
        AssertCalls("table-read=1", Calls(login));
        AssertCalls("table-read=1", Calls(anonymous));
    }

    private async Task<HttpResponseMessage> TokenAsync(AuthenticationHeaderValue? credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/auth/token?service=registry&scope=repository:{Repo}:pull");
        request.Headers.Authorization = credentials;
        return await hosts.Pusher.Client.SendAsync(request);
    }

    private static Task<OciTestClient> ClientAsync(RegistryHost host) =>
        new AuthClient(host.Client).AdminClientAsync($"repository:{Repo}:pull,push,delete");

    private static async Task<string> CallsAsync(OciTestClient client, string path, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(MediaTypes.ImageManifest);
        using var response = await client.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.TemporaryRedirect, $"{path}: {(int)response.StatusCode}");
        return Calls(response);
    }

    private static void AssertCalls(string expected, string actual) => Assert.True(expected == actual, $"expected \"{expected}\", counted \"{actual}\"");

    private static string Calls(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Registry-Storage-Calls", out var values) ? values.Single() : throw new InvalidOperationException("no count");
}
