using System.Net;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>GET /v2/, routing, and names and references refused at the edge. Inputs tried are in the InlineData.</summary>
[Collection(HostCollection.Name)]
public sealed class BaseAndNameTests(HostFixture fixture)
{
    private readonly HttpClient _http = fixture.Host.Client;

    [Fact]
    public async Task GetBase_Always_Returns200WithApiVersion()
    {
        // Act
        using var response = await _http.GetAsync("/v2/");

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("registry/2.0", response.Headers.GetValues("Docker-Distribution-API-Version").Single());
    }

    [Theory]
    [InlineData("/v2/Upper/tags/list")]
    [InlineData("/v2/a/..b/tags/list")]
    [InlineData("/v2//leading/tags/list")]
    [InlineData("/v2/trailing-/tags/list")]
    [InlineData("/v2/a..b/manifests/latest")]
    [InlineData("/v2/sp%20ace/manifests/latest")]
    public async Task AnyRoute_InvalidName_Returns400NameInvalid(string path)
    {
        // Act
        using var response = await _http.GetAsync(path);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("NAME_INVALID", await OciTestClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task AnyRoute_NameOf256Characters_Returns400NameInvalid()
    {
        // Arrange: 255 characters in all is the limit
        var name = "abc/" + new string('d', 252);

        // Act
        using var response = await _http.GetAsync($"/v2/{name}/tags/list");

        // Assert
        Assert.Equal(256, name.Length);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("NAME_INVALID", await OciTestClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task AnyRoute_NameOf255Characters_IsAccepted()
    {
        // Arrange
        var name = "abc/" + new string('d', 251);

        // Act
        using var response = await _http.GetAsync($"/v2/{name}/tags/list");

        // Assert: a valid name, of a repository that does not exist
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NAME_UNKNOWN", await OciTestClient.ErrorCodeAsync(response));
    }

    [Theory]
    [InlineData("-leading-dash")]
    [InlineData(".leading-dot")]
    [InlineData(".bad")]
    [InlineData("has%2Bplus")]
    [InlineData("sha256:abc")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task ReadManifest_ImpossibleReference_Returns404ManifestUnknown(string reference)
    {
        // Act: nothing by such a name can exist (the last case is a tag of 129 characters, one beyond the limit);
        // a push of it is refused as a bad request
        using var get = await _http.GetAsync($"/v2/it/tags-check/manifests/{reference}");
        using var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/it/tags-check/manifests/{reference}"));
        using var delete = await _http.DeleteAsync($"/v2/it/tags-check/manifests/{reference}");
        using var put = await _http.PutAsync($"/v2/it/tags-check/manifests/{reference}", new StringContent("{}"));

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await OciTestClient.ErrorCodeAsync(get));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await OciTestClient.ErrorCodeAsync(delete));
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains(await OciTestClient.ErrorCodeAsync(put), new[] { "MANIFEST_INVALID", "DIGEST_INVALID" });
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:ZZZZ5a48d32074756529aff6589579180328e70e9b511c8503601d8ae1567e8b74")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("sha256:DB5A48D32074756529AFF6589579180328E70E9B511C8503601D8AE1567E8B74")]
    [InlineData("sha512:db5a48d32074756529aff6589579180328e70e9b511c8503601d8ae1567e8b74")]
    public async Task AnyBlobMethod_MalformedDigest_Returns400DigestInvalid(string digest)
    {
        // Act: GET, HEAD and DELETE answer alike, as distribution does for a digest its grammar cannot read
        using var get = await _http.GetAsync($"/v2/it/digest-check/blobs/{digest}");
        using var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/it/digest-check/blobs/{digest}"));
        using var delete = await _http.DeleteAsync($"/v2/it/digest-check/blobs/{digest}");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        Assert.Equal("DIGEST_INVALID", await OciTestClient.ErrorCodeAsync(get));
        Assert.Equal(HttpStatusCode.BadRequest, head.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, delete.StatusCode);
        Assert.Equal("DIGEST_INVALID", await OciTestClient.ErrorCodeAsync(delete));
    }

    [Theory]
    [InlineData("POST /v2/it/a/../b/blobs/uploads/", "NAME_INVALID")]
    [InlineData("GET /v2/it/a/./b/tags/list", "NAME_INVALID")]
    [InlineData("GET /v2/it/a/%2e%2e/b/tags/list", "NAME_INVALID")]
    [InlineData("GET /v2/it/a/%2E/b/tags/list", "NAME_INVALID")]
    [InlineData("GET /v2/it%2Fb/tags/list", "NAME_INVALID")]
    [InlineData("GET /v2/it/b%5cc/tags/list", "NAME_INVALID")]
    [InlineData("GET /v2/it/b/../../_catalog", "NAME_INVALID")]
    [InlineData("GET /api/v0/repositories/it/a/../b", "INVALID_REPOSITORY_NAME")]
    [InlineData("GET /enzi/v0/accounts/x/../admin", "INVALID_REPOSITORY_NAME")]
    public async Task AnyRoute_DotSegmentOrEncodedSlashInTarget_Returns400(string requestLine, string code)
    {
        // Act: sent byte for byte (HttpClient would remove the dot segments before sending)
        var (status, body) = await RawRequest.SendAsync(fixture.Host.BaseAddress, requestLine);

        // Assert
        Assert.Equal(400, status);
        Assert.Contains($"\"code\":\"{code}\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blob_UnsupportedMethod_Returns405Unsupported()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v2/it/x/blobs/sha256:" + new string('a', 64));
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("UNSUPPORTED", await OciTestClient.ErrorCodeAsync(response));
        Assert.Equal(["GET", "HEAD", "DELETE"], response.Content.Headers.Allow);
    }

    [Fact]
    public async Task UnknownEndpoint_Returns404WithEnvelope()
    {
        using var response = await _http.GetAsync("/v2/it/x/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NAME_UNKNOWN", await OciTestClient.ErrorCodeAsync(response));
    }
}
