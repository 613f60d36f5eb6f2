using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>Blob pushes (monolithic, chunked, mount), pulls, deletes and their error paths, on Azurite.</summary>
[Collection(HostCollection.Name)]
public sealed class BlobUploadTests(HostFixture fixture)
{
    private readonly OciTestClient _oci = new(fixture.Host.Client);
    private HttpClient Http => _oci.Http;

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task PostWithDigest_Refused_LeavesNoUploadSession(string digest)
    {
        // Arrange: a malformed digest, and a well-formed one the body does not match
        var uploads = new Registry.Storage.StorageClients(Microsoft.Extensions.Options.Options.Create(new Registry.Storage.StorageOptions
        {
            ConnectionString = AzuriteCheck.ConnectionString,
            Container = fixture.Host.StoragePrefix,
            TablePrefix = fixture.Host.StoragePrefix,
        })).Table(Registry.Storage.StorageLayout.UploadsTable);
        var before = await CountAsync(uploads);

        // Act
        using var response = await Http.PostAsync($"/v2/{OciTestClient.NewRepository()}/blobs/uploads/?digest={digest}", new ByteArrayContent("hello"u8.ToArray()));

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("DIGEST_INVALID", await OciTestClient.ErrorCodeAsync(response));
        Assert.Equal(before, await CountAsync(uploads));
    }

    private static async Task<int> CountAsync(Azure.Data.Tables.TableClient table)
    {
        var count = 0;
        await foreach (var _ in table.QueryAsync<Azure.Data.Tables.TableEntity>(select: ["RowKey"]))
        {
            count++;
        }

        return count;
    }

    [Fact]
    public async Task PostWithDigest_BodyStallsBeforeItsLength_Returns408NotAServerError()
    {
        // Arrange: 10 bytes of a declared 1000, then nothing (Kestrel's minimum data rate ends the wait after 5 s)
        var repo = OciTestClient.NewRepository();
        var digest = "sha256:" + new string('a', 64);

        // Act
        var (status, body) = await RawRequest.SendAsync(fixture.Host.BaseAddress, $"POST /v2/{repo}/blobs/uploads/?digest={digest}", "0123456789", 1000);

        // Assert: the client's failure, in the OCI envelope, and no error in the registry's log
        Assert.Equal(408, status);
        Assert.Contains("\"code\":\"BLOB_UPLOAD_INVALID\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain($"Unexpected failure serving POST /v2/{repo}", fixture.Host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostWithDigest_Monolithic_Returns201AndBlobReadsBack()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(100_000);
        var digest = OciTestClient.DigestOf(content);

        // Act
        using var response = await Http.PostAsync($"/v2/{repo}/blobs/uploads/?digest={digest}", new ByteArrayContent(content));

        // Assert
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{repo}/blobs/{digest}", response.Headers.Location!.OriginalString);
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        using var head = await _oci.HeadAsync($"/v2/{repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(content.Length, head.Content.Headers.ContentLength);
        Assert.Equal(digest, head.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(content, await _oci.GetBlobAsync(repo, digest));
    }

    [Fact]
    public async Task PostWithDigest_SameBlobManyAtOnceAfterAWrongBody_AllStoredOnceAndReadBack()
    {
        // Arrange: three 4 MiB blocks per body, so that the pushes stage to one content blob at once;
        // first a body that does not match the digest, whose staged blocks must not get in the way
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes((9 * 1024 * 1024) + 17);
        var digest = OciTestClient.DigestOf(content);
        var wrong = content.ToArray();
        wrong[^1] ^= 0xFF;
        using var refused = await Http.PostAsync($"/v2/{repo}/blobs/uploads/?digest={digest}", new ByteArrayContent(wrong));

        // Act: four pushes of the right bytes, at once, to two repositories
        var pushes = Enumerable.Range(0, 4).Select(i =>
            Http.PostAsync($"/v2/{(i % 2 == 0 ? repo : repo + "-other")}/blobs/uploads/?digest={digest}", new ByteArrayContent(content))).ToList();
        var responses = await Task.WhenAll(pushes);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(content, await _oci.GetBlobAsync(repo, digest));
        Assert.Equal(content, await _oci.GetBlobAsync(repo + "-other", digest));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task GetBlob_Redirect_Is307ToReadOnlySasThatHonoursRange()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(5000);
        var digest = await _oci.PushBlobAsync(repo, content);

        // Act
        using var response = await Http.GetAsync($"/v2/{repo}/blobs/{digest}");
        using var storage = new HttpClient();
        using var ranged = new HttpRequestMessage(HttpMethod.Get, response.Headers.Location);
        ranged.Headers.Range = new RangeHeaderValue(10, 19);
        using var part = await storage.SendAsync(ranged);
        using var write = new HttpRequestMessage(HttpMethod.Put, response.Headers.Location) { Content = new ByteArrayContent([1, 2, 3]) };
        write.Headers.Add("x-ms-blob-type", "BlockBlob");
        using var writeAttempt = await storage.SendAsync(write);

        // Assert
        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal("localhost", response.Headers.Location!.Host);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(content[10..20], await part.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Forbidden, writeAttempt.StatusCode);
    }

    [Fact]
    public async Task PostThenPut_Monolithic_Returns201()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(3000);
        var digest = OciTestClient.DigestOf(content);

        // Act
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        using var put = await Http.PutAsync($"{start.Headers.Location}?digest={digest}", new ByteArrayContent(content));

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.Equal("0-0", start.Headers.GetValues("Range").Single());
        Assert.Equal("1048576", start.Headers.GetValues("OCI-Chunk-Min-Length").Single());
        Assert.NotEmpty(start.Headers.GetValues("Docker-Upload-UUID").Single());
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(content, await _oci.GetBlobAsync(repo, digest));
    }

    [Fact]
    public async Task ChunkedUpload_InOrder_CompletesWithStatusAtEachStep()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(3 * 700_000 + 17);
        var digest = OciTestClient.DigestOf(content);
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.OriginalString;

        // Act
        for (var offset = 0; offset < content.Length; offset += 700_000)
        {
            var end = Math.Min(offset + 700_000, content.Length) - 1;
            using var patch = await _oci.PatchAsync(location, content[offset..(end + 1)], $"{offset}-{end}");
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal($"0-{end}", patch.Headers.GetValues("Range").Single());
            using var status = await Http.GetAsync(location);
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal($"0-{end}", status.Headers.GetValues("Range").Single());
        }

        using var put = await Http.PutAsync($"{location}?digest={digest}", null);

        // Assert
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(content, await _oci.GetBlobAsync(repo, digest));
    }

    [Fact]
    public async Task PatchUpload_OutOfOrderOrRepeatedChunk_Returns416AndKeepsUpload()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(2000);
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.OriginalString;
        using var first = await _oci.PatchAsync(location, content[..1000], "0-999");

        // Act
        using var repeated = await _oci.PatchAsync(location, content[..1000], "0-999");
        using var gap = await _oci.PatchAsync(location, content[1000..], "1500-2499");
        using var lengthMismatch = await _oci.PatchAsync(location, content[1000..1500], "1000-1999");
        using var malformed = await _oci.PatchAsync(location, content[1000..], "bytes=1000-");
        using var last = await _oci.PatchAsync(location, content[1000..], "1000-1999");
        using var put = await Http.PutAsync($"{location}?digest={OciTestClient.DigestOf(content)}", null);

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        foreach (var bad in new[] { repeated, gap, lengthMismatch, malformed })
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, bad.StatusCode);
            Assert.Equal("BLOB_UPLOAD_INVALID", await OciTestClient.ErrorCodeAsync(bad));
        }

        Assert.Equal("0-999", repeated.Headers.GetValues("Range").Single());
        Assert.Equal(HttpStatusCode.Accepted, last.StatusCode);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(content, await _oci.GetBlobAsync(repo, OciTestClient.DigestOf(content)));
    }

    [Fact]
    public async Task PatchUpload_StreamedChunkShorterThanItsRange_Returns416AndRetrySucceeds()
    {
        // Arrange: no Content-Length (chunked transfer), so the shortfall is found only after staging
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(5000);
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.OriginalString;
        using var shortRequest = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new StreamContent(new MemoryStream(content[..3000])) };
        shortRequest.Headers.TransferEncodingChunked = true;
        shortRequest.Content.Headers.TryAddWithoutValidation("Content-Range", "0-4999");

        // Act
        using var shortPatch = await Http.SendAsync(shortRequest);
        using var status = await Http.GetAsync(location);
        using var retry = await _oci.PatchAsync(location, content, "0-4999");
        using var put = await Http.PutAsync($"{location}?digest={OciTestClient.DigestOf(content)}", null);

        // Assert: nothing of the short chunk was kept
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, shortPatch.StatusCode);
        Assert.Equal("0-0", status.Headers.GetValues("Range").Single());
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(content, await _oci.GetBlobAsync(repo, OciTestClient.DigestOf(content)));
    }

    [Fact]
    public async Task CompleteUpload_DigestMismatch_Returns400AndNoBlobIsVisible()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(1000);
        var wrong = OciTestClient.DigestOf(OciTestClient.RandomBytes(10));
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.OriginalString;

        // Act
        using var put = await Http.PutAsync($"{location}?digest={wrong}", new ByteArrayContent(content));
        using var headWrong = await _oci.HeadAsync($"/v2/{repo}/blobs/{wrong}");
        using var headReal = await _oci.HeadAsync($"/v2/{repo}/blobs/{OciTestClient.DigestOf(content)}");
        using var status = await Http.GetAsync(location);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("DIGEST_INVALID", await OciTestClient.ErrorCodeAsync(put));
        Assert.Equal(HttpStatusCode.NotFound, headWrong.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, headReal.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?digest=sha256:1234")]
    [InlineData("?digest=sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    public async Task CompleteUpload_MissingOrMalformedDigest_Returns400DigestInvalid(string query)
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);

        // Act
        using var put = await Http.PutAsync($"{start.Headers.Location}{query}", new ByteArrayContent([1, 2, 3]));

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("DIGEST_INVALID", await OciTestClient.ErrorCodeAsync(put));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("not-an-upload")]
    public async Task AnyUploadRequest_UnknownUploadId_Returns404BlobUploadUnknown(string uploadId)
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var location = $"/v2/{repo}/blobs/uploads/{uploadId}";

        // Act
        using var get = await Http.GetAsync(location);
        using var patch = await _oci.PatchAsync(location, [1, 2, 3], "0-2");
        using var put = await Http.PutAsync($"{location}?digest={OciTestClient.DigestOf([1, 2, 3])}", new ByteArrayContent([1, 2, 3]));
        using var delete = await Http.DeleteAsync(location);

        // Assert
        foreach (var response in new[] { get, patch, put, delete })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("BLOB_UPLOAD_UNKNOWN", await OciTestClient.ErrorCodeAsync(response));
        }
    }

    [Fact]
    public async Task AnyUploadRequest_UploadOfAnotherRepository_Returns404()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var uploadId = start.Headers.GetValues("Docker-Upload-UUID").Single();

        // Act
        using var status = await Http.GetAsync($"/v2/{OciTestClient.NewRepository()}/blobs/uploads/{uploadId}");

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    [Fact]
    public async Task CancelUpload_Started_Returns204ThenUnknown()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var location = start.Headers.Location!.OriginalString;
        using var patch = await _oci.PatchAsync(location, [1, 2, 3], "0-2");

        // Act
        using var cancel = await Http.DeleteAsync(location);
        using var after = await Http.GetAsync(location);

        // Assert
        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task AbandonedUpload_Midway_NoBlobBecomesVisible()
    {
        // Arrange: half a blob arrives, then the client goes away
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(4000);
        var digest = OciTestClient.DigestOf(content);
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        using var patch = await _oci.PatchAsync(start.Headers.Location!.OriginalString, content[..2000], "0-1999");

        // Act
        using var head = await _oci.HeadAsync($"/v2/{repo}/blobs/{digest}");
        using var get = await Http.GetAsync($"/v2/{repo}/blobs/{digest}");

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("BLOB_UNKNOWN", await OciTestClient.ErrorCodeAsync(get));
    }

    [Fact]
    public async Task PostMount_SourceLinksBlob_Returns201AndLinksTarget()
    {
        // Arrange
        var source = OciTestClient.NewRepository();
        var target = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(2048);
        var digest = await _oci.PushBlobAsync(source, content);

        // Act
        using var mount = await Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);

        // Assert
        Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        Assert.Equal($"/v2/{target}/blobs/{digest}", mount.Headers.Location!.OriginalString);
        Assert.Equal(content, await _oci.GetBlobAsync(target, digest));
    }

    [Fact]
    public async Task PostMount_SourceWithoutLink_FallsBackTo202Upload()
    {
        // Arrange: the blob exists in storage, but only through another repository
        var owner = OciTestClient.NewRepository();
        var digest = await _oci.PushBlobAsync(owner, OciTestClient.RandomBytes(100));
        var target = OciTestClient.NewRepository();

        // Act
        using var mount = await Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={OciTestClient.NewRepository()}", null);
        using var noFrom = await Http.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}", null);
        using var head = await _oci.HeadAsync($"/v2/{target}/blobs/{digest}");

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        Assert.Contains("/blobs/uploads/", mount.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Accepted, noFrom.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task GetBlob_OfAnotherRepositoryWithoutLink_Returns404()
    {
        // Arrange
        var owner = OciTestClient.NewRepository();
        var digest = await _oci.PushBlobAsync(owner, OciTestClient.RandomBytes(100));

        // Act
        using var get = await Http.GetAsync($"/v2/{OciTestClient.NewRepository()}/blobs/{digest}");

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("BLOB_UNKNOWN", await OciTestClient.ErrorCodeAsync(get));
    }

    [Fact]
    public async Task DeleteBlob_Linked_Returns202AndUnlinksOnlyThatRepository()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var other = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(100);
        var digest = await _oci.PushBlobAsync(repo, content);
        await _oci.PushBlobAsync(other, content);

        // Act
        using var delete = await Http.DeleteAsync($"/v2/{repo}/blobs/{digest}");
        using var again = await Http.DeleteAsync($"/v2/{repo}/blobs/{digest}");
        using var head = await _oci.HeadAsync($"/v2/{repo}/blobs/{digest}");

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(content, await _oci.GetBlobAsync(other, digest));
    }

    [Fact]
    public async Task PostWithDigest_Sha512_Returns201()
    {
        // Arrange
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(5000);
        var digest = "sha512:" + Convert.ToHexStringLower(SHA512.HashData(content));

        // Act
        using var post = await Http.PostAsync($"/v2/{repo}/blobs/uploads/?digest={digest}", new ByteArrayContent(content));

        // Assert
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        Assert.Equal(content, await _oci.GetBlobAsync(repo, digest));
    }

    [Fact]
    public async Task PostWithDigest_EmptyBlob_Returns201()
    {
        var repo = OciTestClient.NewRepository();
        var digest = await _oci.PushBlobAsync(repo, []);
        Assert.Empty(await _oci.GetBlobAsync(repo, digest));
    }

    [Fact]
    public async Task PushBlob_LargerThanSeveralBlocks_StreamsAndReadsBack()
    {
        // Arrange: 9 MiB and a bit, more than two 4 MiB blocks, streamed without Content-Length
        var repo = OciTestClient.NewRepository();
        var content = OciTestClient.RandomBytes(9 * 1024 * 1024 + 123);
        var digest = OciTestClient.DigestOf(content);
        using var start = await Http.PostAsync($"/v2/{repo}/blobs/uploads/", null);
        var streamed = new StreamContent(new MemoryStream(content));

        // Act
        using var request = new HttpRequestMessage(HttpMethod.Patch, start.Headers.Location) { Content = streamed };
        request.Headers.TransferEncodingChunked = true;
        using var patch = await Http.SendAsync(request);
        using var put = await Http.PutAsync($"{start.Headers.Location}?digest={digest}", null);

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Equal($"0-{content.Length - 1}", patch.Headers.GetValues("Range").Single());
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(content, await _oci.GetBlobAsync(repo, digest));
    }
}
