using System.Globalization;
using Microsoft.Extensions.Options;
using Registry.Errors;
using Registry.Oci;
using Registry.Options;
using Registry.Services;

namespace Registry.Http.Handlers;

/// <summary>Blob uploads: monolithic, chunked and cross-repository mounts.</summary>
public sealed class UploadHandlers(UploadService uploads, BlobService blobs, IOptions<RegistryOptions> options)
{
    private readonly string _chunkMinLength = options.Value.ChunkMinLength.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// end-4a/end-4b/end-11: POST /v2/&lt;name&gt;/blobs/uploads/ — a mount (?mount=&amp;from=), a monolithic
    /// upload (?digest= with the body) or a new session (202).
    /// </summary>
    public async Task<HttpResult> StartUploadAsync(OciRequest request, CancellationToken cancellationToken)
    {
        if (request.Query("mount") is { } mount)
        {
            var digest = ParseDigest(mount);
            var fromText = request.Query("from");
            if (fromText is not null)
            {
                if (!RepositoryName.TryParse(fromText, out var from))
                {
                    throw RegistryException.Of(OciErrorCode.NameInvalid, "invalid repository name in 'from'", "from", fromText);
                }

                // A source the token may not pull from is treated as one without the blob: a new upload.
                if (request.Allows(from, Auth.Access.Pull) && await blobs.MountAsync(request.Name, digest, from, request.Token?.Subject, cancellationToken) is not null)
                {
                    return Created(request.Name, digest);
                }
            }
        }

        // A monolithic upload needs no session: its bytes go straight to the content blob, visible once they match.
        if (request.Query("digest") is { } digestText)
        {
            var digest = ParseDigest(digestText);
            await uploads.StoreAsync(request.Name, digest, request.Http.Body, cancellationToken);
            return Created(request.Name, digest);
        }

        var uploadId = await uploads.StartAsync(request.Name, cancellationToken);
        return Progress(202, request.Name, uploadId, 0).WithHeader(OciHeaders.ChunkMinLength, _chunkMinLength);
    }

    /// <summary>end-5: PATCH /v2/&lt;name&gt;/blobs/uploads/&lt;reference&gt; — one chunk, in order (416 otherwise).</summary>
    public async Task<HttpResult> PatchUploadAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var range = ParseContentRange(request);
        var size = await uploads.AppendAsync(request.Name, request.UploadId!, request.Http.Body, range, request.Http.ContentLength, cancellationToken);
        return Progress(202, request.Name, request.UploadId!, size);
    }

    /// <summary>end-6: PUT /v2/&lt;name&gt;/blobs/uploads/&lt;reference&gt;?digest= — an optional last chunk, then the digest check.</summary>
    public async Task<HttpResult> CompleteUploadAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var digest = ParseDigest(request.Query("digest")
            ?? throw RegistryException.Of(OciErrorCode.DigestInvalid, "the digest query parameter is required", "digest", ""));
        var range = ParseContentRange(request);
        var hasBody = request.Http.ContentLength > 0 || (request.Http.ContentLength is null && request.Http.Headers.TransferEncoding.Count > 0);
        await uploads.CompleteAsync(request.Name, request.UploadId!, digest, hasBody ? request.Http.Body : null, range, request.Http.ContentLength, cancellationToken);
        return Created(request.Name, digest);
    }

    /// <summary>end-13: GET /v2/&lt;name&gt;/blobs/uploads/&lt;reference&gt; — how much has arrived.</summary>
    public async Task<HttpResult> GetUploadStatusAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var size = await uploads.GetSizeAsync(request.Name, request.UploadId!, cancellationToken);
        return Progress(204, request.Name, request.UploadId!, size);
    }

    /// <summary>DELETE /v2/&lt;name&gt;/blobs/uploads/&lt;reference&gt; — cancel.</summary>
    public async Task<HttpResult> CancelUploadAsync(OciRequest request, CancellationToken cancellationToken)
    {
        await uploads.CancelAsync(request.Name, request.UploadId!, cancellationToken);
        return HttpResult.Empty(204);
    }

    private static HttpResult Created(RepositoryName name, Digest digest) =>
        HttpResult.Empty(201)
            .WithHeader("Location", $"/v2/{name}/blobs/{digest}")
            .WithHeader(OciHeaders.ContentDigest, digest.ToString());

    private static HttpResult Progress(int status, RepositoryName name, string uploadId, long size) =>
        HttpResult.Empty(status)
            .WithHeader("Location", $"/v2/{name}/blobs/uploads/{uploadId}")
            .WithHeader("Range", UploadService.RangeHeader(size))
            .WithHeader(OciHeaders.UploadUuid, uploadId);

    private static ContentRange? ParseContentRange(OciRequest request)
    {
        var header = request.Http.Headers.ContentRange.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        return ContentRange.TryParse(header, out var range)
            ? range
            : throw RegistryException.Of(OciErrorCode.BlobUploadInvalid, "malformed Content-Range", "content-range", header.Length > 100 ? header[..100] : header, 416);
    }

    private static Digest ParseDigest(string value) =>
        Digest.TryParse(value, out var digest)
            ? digest
            : throw RegistryException.Of(OciErrorCode.DigestInvalid, "invalid digest", "digest", value.Length > 200 ? value[..200] : value);
}
