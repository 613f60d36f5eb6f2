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
    [InlineData("has%2Bplus")]
    public async Task GetManifest_InvalidTag_Returns400ManifestInvalid(string tag)
    {
        // Act
        using var response = await _http.GetAsync($"/v2/it/tags-check/manifests/{tag}");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("MANIFEST_INVALID", await OciTestClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task GetManifest_TagOf129Characters_Returns400()
    {
        using var response = await _http.GetAsync($"/v2/it/tags-check/manifests/{new string('a', 129)}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:ZZZZ5a48d32074756529aff6589579180328e70e9b511c8503601d8ae1567e8b74")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("sha256:DB5A48D32074756529AFF6589579180328E70E9B511C8503601D8AE1567E8B74")]
    public async Task GetBlob_MalformedDigest_Returns400DigestInvalid(string digest)
    {
        using var response = await _http.GetAsync($"/v2/it/digest-check/blobs/{digest}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("DIGEST_INVALID", await OciTestClient.ErrorCodeAsync(response));
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
