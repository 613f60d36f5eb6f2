using System.Security.Cryptography;
using Registry.Oci;
using Registry.Records;
using Registry.Services;

namespace Registry.Stores;

/// <summary>
/// Content by digest (create-only: the same digest is the same bytes) and uploads in progress. Knows nothing of
/// repositories.
/// </summary>
public interface IContentStore
{
    /// <summary>
    /// Stores small content (a manifest) under its digest. When it is there already, touches it instead, so a GC run
    /// that judged it unreferenced cannot delete it.
    /// </summary>
    Task PutAsync(Digest digest, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a whole blob sent in one request straight under its digest, visible only once the bytes hash to
    /// <paramref name="digest"/>; touches it when it is stored already. Returns the size, or null when the bytes do
    /// not match the digest (nothing is then stored).
    /// </summary>
    Task<long?> StoreAsync(Digest digest, Stream body, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes content's metadata so its version changes: GC deletes only on condition of the version it judged by, so
    /// after a touch that delete fails. False when the content is gone (GC won the race).
    /// </summary>
    Task<bool> TouchAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Whether content is stored now.</summary>
    Task<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Reads small content whole; null when it is not stored.</summary>
    Task<byte[]?> ReadAllOrNullAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Reads small content (a manifest too large to keep inline) whole.</summary>
    Task<byte[]> ReadAllAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Opens content for streaming, optionally one byte range of it.</summary>
    Task<Stream> OpenReadAsync(Digest digest, ContentRange? range, CancellationToken cancellationToken = default);

    /// <summary>A short-lived read-only URL of the content, for a redirect.</summary>
    Task<Uri> CreateReadUriAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>What has been committed to an upload so far (nothing when it has not started).</summary>
    Task<UploadState> GetUploadStateAsync(string uploadId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends <paramref name="body"/> to an upload on condition that nobody else committed since
    /// <paramref name="state"/> was read, feeding the bytes to <paramref name="hash"/>. Returns the number of bytes
    /// read, or null when another request won the race. When the body does not hold <paramref name="expectedLength"/>
    /// bytes, nothing is committed and the count read is returned.
    /// </summary>
    Task<long?> AppendUploadAsync(string uploadId, UploadState state, Stream body, IncrementalHash? hash, long? expectedLength, CancellationToken cancellationToken = default);

    /// <summary>Hashes an upload's committed bytes again (when the request that finishes it landed elsewhere).</summary>
    Task<Digest> HashUploadAsync(string uploadId, string algorithm, CancellationToken cancellationToken = default);

    /// <summary>Makes a finished upload the content of <paramref name="digest"/> (touching it when it is stored already).</summary>
    Task PromoteUploadAsync(string uploadId, Digest digest, long size, CancellationToken cancellationToken = default);

    Task DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default);

    /// <summary>Every content blob (its name is the digest), from the listing alone.</summary>
    IAsyncEnumerable<StoredBlob> ListContentAsync(CancellationToken cancellationToken = default);

    /// <summary>Every upload's data (its name is the upload id), from the listing alone.</summary>
    IAsyncEnumerable<StoredBlob> ListUploadsAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes content or upload data listed earlier, on condition that it has not been written (touched) since.</summary>
    Task<bool> DeleteIfUnchangedAsync(StoredBlob blob, CancellationToken cancellationToken = default);
}
