using Registry.Errors;
using Registry.Oci;
using Registry.Records;
using Registry.Stores;

namespace Registry.Services;

/// <summary>
/// Blob uploads (distribution-spec "Pushing blobs"): start, append chunks, report status, complete with a digest
/// check, cancel. State lives in storage, so the requests of one upload may land on different instances.
/// Nothing becomes visible to pulls before the digest has been checked.
/// </summary>
public sealed class UploadService(IMetadataStore metadata, IContentStore content, UploadHashCache hashes)
{
    /// <summary>Opens an upload session and returns its id.</summary>
    public async Task<string> StartAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        var uploadId = Guid.NewGuid().ToString("N");
        await metadata.AddUploadAsync(uploadId, name, cancellationToken);
        return uploadId;
    }

    /// <summary>
    /// Appends a chunk. With <paramref name="range"/>, its start must be the current size (else 416) and the body
    /// must be exactly its length. Returns the upload's new size.
    /// </summary>
    public async Task<long> AppendAsync(
        RepositoryName name, string uploadId, Stream body, ContentRange? range, long? contentLength, CancellationToken cancellationToken = default)
    {
        await GetSessionAsync(name, uploadId, cancellationToken);
        var state = await content.GetUploadStateAsync(uploadId, cancellationToken);
        long? expected = contentLength;
        if (range is { } r)
        {
            if (r.Start != state.Size)
            {
                throw OutOfOrder(state.Size, $"chunk starts at {r.Start} but the upload holds {state.Size} bytes");
            }

            if (contentLength is { } length && length != r.Length)
            {
                throw OutOfOrder(state.Size, $"Content-Length {length} does not match Content-Range {r.Start}-{r.End}");
            }

            expected = r.Length;
        }

        return await AppendAtAsync(uploadId, state, body, expected, cancellationToken);
    }

    /// <summary>The number of bytes an upload holds.</summary>
    public async Task<long> GetSizeAsync(RepositoryName name, string uploadId, CancellationToken cancellationToken = default)
    {
        await GetSessionAsync(name, uploadId, cancellationToken);
        return (await content.GetUploadStateAsync(uploadId, cancellationToken)).Size;
    }

    /// <summary>
    /// Appends an optional last chunk, checks the content against <paramref name="digest"/>, stores it as a content
    /// blob and links it into the repository. A mismatch discards the upload: nothing becomes visible.
    /// </summary>
    public async Task<long> CompleteAsync(
        RepositoryName name, string uploadId, Digest digest, Stream? body, ContentRange? range, long? contentLength,
        CancellationToken cancellationToken = default)
    {
        var size = body is null
            ? await GetSizeAsync(name, uploadId, cancellationToken)
            : await AppendAsync(name, uploadId, body, range, contentLength, cancellationToken);

        var hash = digest.Algorithm == Digest.Sha256 ? hashes.Take(uploadId, size) : null;
        Digest actual;
        if (hash is null)
        {
            actual = await content.HashUploadAsync(uploadId, digest.Algorithm, cancellationToken);
        }
        else
        {
            using (hash)
            {
                actual = Digest.FromHash(digest.Algorithm, hash.GetHashAndReset());
            }
        }

        if (actual != digest)
        {
            await DiscardAsync(uploadId, cancellationToken);
            throw RegistryException.Of(OciErrorCode.DigestInvalid, "provided digest did not match uploaded content", "digest", digest.ToString());
        }

        await content.PromoteUploadAsync(uploadId, digest, size, cancellationToken);
        await metadata.LinkBlobAsync(name, digest, size, cancellationToken);
        await metadata.EnsureRepositoryAsync(name, cancellationToken);
        await metadata.DeleteUploadAsync(uploadId, cancellationToken);
        return size;
    }

    /// <summary>
    /// A monolithic upload (<c>POST ?digest=</c> with the body): no session, the bytes go straight to the content blob
    /// and become visible only once they hash to <paramref name="digest"/>; then the repository's link. Returns the size.
    /// </summary>
    public async Task<long> StoreAsync(RepositoryName name, Digest digest, Stream body, CancellationToken cancellationToken = default)
    {
        var size = await content.StoreAsync(digest, body, cancellationToken)
            ?? throw RegistryException.Of(OciErrorCode.DigestInvalid, "provided digest did not match uploaded content", "digest", digest.ToString());
        await metadata.LinkBlobAsync(name, digest, size, cancellationToken);
        await metadata.EnsureRepositoryAsync(name, cancellationToken);
        return size;
    }

    /// <summary>Cancels an upload and drops its data.</summary>
    public async Task CancelAsync(RepositoryName name, string uploadId, CancellationToken cancellationToken = default)
    {
        await GetSessionAsync(name, uploadId, cancellationToken);
        await DiscardAsync(uploadId, cancellationToken);
    }

    private async Task<long> AppendAtAsync(string uploadId, UploadState state, Stream body, long? expected, CancellationToken cancellationToken)
    {
        var hash = hashes.Take(uploadId, state.Size);
        if (hash is null && state.Size == 0)
        {
            hash = Digest.CreateHash(Digest.Sha256);
        }

        var written = await content.AppendUploadAsync(uploadId, state, body, hash, expected, cancellationToken);
        if (written is null)
        {
            hash?.Dispose();
            var now = await content.GetUploadStateAsync(uploadId, cancellationToken);
            throw OutOfOrder(now.Size, "another request appended to this upload at the same time");
        }

        if (expected is { } length && written != length)
        {
            hash?.Dispose();
            throw OutOfOrder(state.Size, $"the body held {written} bytes, {length} were announced");
        }

        var size = state.Size + written.Value;
        if (hash is not null)
        {
            hashes.Put(uploadId, size, hash);
        }

        return size;
    }

    private async Task DiscardAsync(string uploadId, CancellationToken cancellationToken)
    {
        hashes.Forget(uploadId);
        await content.DeleteUploadAsync(uploadId, cancellationToken);
        await metadata.DeleteUploadAsync(uploadId, cancellationToken);
    }

    private async Task GetSessionAsync(RepositoryName name, string uploadId, CancellationToken cancellationToken)
    {
        var session = await metadata.GetUploadOrNullAsync(uploadId, cancellationToken);
        if (session is null || session.Repository != name.Value)
        {
            throw RegistryException.Of(OciErrorCode.BlobUploadUnknown, "blob upload unknown to registry", "uuid", uploadId);
        }
    }

    private static RegistryException OutOfOrder(long size, string message) =>
        RegistryException.Of(OciErrorCode.BlobUploadInvalid, message, "range", RangeHeader(size), 416).WithHeader("Range", RangeHeader(size));

    /// <summary>The Range header of an upload holding <paramref name="size"/> bytes: <c>0-&lt;last byte&gt;</c>.</summary>
    public static string RangeHeader(long size) => $"0-{Math.Max(size - 1, 0)}";
}
