using Registry.Oci;
using Registry.Records;

namespace Registry.Stores;

/// <summary>
/// Repositories, tags, manifests, blob links, referrers and upload sessions. Positive lookups of tags, manifests and
/// blob links may be cached for a short time; a write on one instance is seen there at once.
/// </summary>
public interface IMetadataStore
{
    /// <summary>Records a repository pushed to for the first time (idempotent; private, as DTR creates on push).</summary>
    Task EnsureRepositoryAsync(RepositoryName name, CancellationToken cancellationToken = default);

    /// <summary>Adds a repository with <paramref name="settings"/> (given a new id and creation time); false when it exists already.</summary>
    Task<bool> AddRepositoryAsync(RepositoryName name, RepositoryRecord settings, CancellationToken cancellationToken = default);

    Task<RepositoryRecord?> GetRepositoryOrNullAsync(RepositoryName name, CancellationToken cancellationToken = default);

    Task<bool> RepositoryExistsAsync(RepositoryName name, CancellationToken cancellationToken = default);

    /// <summary>Replaces a repository's settings on condition of its ETag; false when it changed meanwhile.</summary>
    Task<bool> UpdateRepositoryAsync(RepositoryRecord repository, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes a repository: its tags first (so no tag points at a missing manifest), then referrers, manifests, blob
    /// links, its pruning and promotion policies and the repository itself. Content stays for GC.
    /// </summary>
    Task DeleteRepositoryAsync(RepositoryName name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Repositories in name order from <paramref name="from"/> (itself included when <paramref name="includeFrom"/>),
    /// optionally only those whose name starts with <paramref name="prefix"/>.
    /// </summary>
    Task<IReadOnlyList<RepositoryRecord>> ListRepositoryRecordsAsync(string? prefix, string? from, bool includeFrom, int count, CancellationToken cancellationToken = default);

    /// <summary>Repository names after <paramref name="last"/> in name order, at most <paramref name="count"/>.</summary>
    Task<IReadOnlyList<string>> ListRepositoriesAsync(string? last, int count, CancellationToken cancellationToken = default);

    Task<Digest?> GetTagOrNullAsync(RepositoryName name, Tag tag, CancellationToken cancellationToken = default);

    /// <summary>Creates a tag pushed by <paramref name="author"/>; false when it exists already (the caller then reads and updates it).</summary>
    Task<bool> TryAddTagAsync(RepositoryName name, Tag tag, Digest digest, string? author, TagOrigin? origin, CancellationToken cancellationToken = default);

    Task<TagRecord?> GetTagRecordOrNullAsync(RepositoryName name, Tag tag, CancellationToken cancellationToken = default);

    /// <summary>Moves an existing tag for <paramref name="author"/> on condition of its ETag (its first-push time stays); false when it changed meanwhile.</summary>
    Task<bool> UpdateTagAsync(RepositoryName name, TagRecord tag, Digest digest, string? author, TagOrigin? origin, CancellationToken cancellationToken = default);

    /// <summary>Every tag of a repository (name, digest, first push, last update).</summary>
    Task<IReadOnlyList<TagRecord>> ListTagRecordsAsync(RepositoryName name, CancellationToken cancellationToken = default);

    /// <summary>At most <paramref name="count"/> tags in name order, from <paramref name="from"/> on (itself included).</summary>
    Task<IReadOnlyList<TagRecord>> ListTagRecordsAsync(RepositoryName name, string? from, int count, CancellationToken cancellationToken = default);

    /// <summary>Deletes a tag; false when it did not exist.</summary>
    Task<bool> DeleteTagAsync(RepositoryName name, Tag tag, CancellationToken cancellationToken = default);

    /// <summary>Tags after <paramref name="last"/> in lexical order, at most <paramref name="count"/>.</summary>
    Task<IReadOnlyList<string>> ListTagsAsync(RepositoryName name, string? last, int count, CancellationToken cancellationToken = default);

    Task<ManifestRecord?> GetManifestOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default);

    Task PutManifestAsync(RepositoryName name, ParsedManifest manifest, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>Deletes a manifest; false when it did not exist.</summary>
    Task<bool> DeleteManifestAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default);

    /// <summary>The size of a blob the repository links to, or null when it has no link.</summary>
    Task<long?> GetBlobLinkOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default);

    /// <summary>A repository's link to a blob (size and last write), or null when it has none.</summary>
    Task<BlobLink?> GetBlobLinkRecordOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default);

    Task LinkBlobAsync(RepositoryName name, Digest digest, long size, CancellationToken cancellationToken = default);

    /// <summary>Removes a repository's link to a blob; false when there was none.</summary>
    Task<bool> UnlinkBlobAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a manifest again so its ETag and last write change, when it was last written longer ago than
    /// <paramref name="interval"/>. False when it no longer exists (GC removed it).
    /// </summary>
    Task<bool> TouchManifestAsync(RepositoryName name, ManifestRecord manifest, TimeSpan interval, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="TouchManifestAsync"/>, for a blob link.</summary>
    Task<bool> TouchBlobLinkAsync(RepositoryName name, BlobLink link, TimeSpan interval, CancellationToken cancellationToken = default);

    /// <summary>The names of every repository that has manifests or blob links, in name order (unparsed: GC skips what is not a name).</summary>
    Task<IReadOnlyList<string>> ListRepositoriesWithContentAsync(CancellationToken cancellationToken = default);

    /// <summary>Every manifest of a repository, with its ETag and last write.</summary>
    Task<IReadOnlyList<ManifestRecord>> ListManifestRecordsAsync(RepositoryName name, CancellationToken cancellationToken = default);

    /// <summary>Every blob link of a repository (digest, size, ETag, last write).</summary>
    Task<IReadOnlyList<BlobLink>> ListBlobLinksAsync(RepositoryName name, CancellationToken cancellationToken = default);

    /// <summary>The digests some repository links to, leaving out the links in <paramref name="ignore"/> ("name\ndigest").</summary>
    Task<HashSet<string>> ListLinkedDigestsAsync(ISet<string>? ignore, CancellationToken cancellationToken = default);

    /// <summary>Deletes a manifest read earlier, on condition that it has not been written since.</summary>
    Task<bool> DeleteManifestIfUnchangedAsync(RepositoryName name, ManifestRecord manifest, CancellationToken cancellationToken = default);

    /// <summary>Deletes a blob link read earlier, on condition that it has not been written since.</summary>
    Task<bool> DeleteBlobLinkIfUnchangedAsync(RepositoryName name, BlobLink link, CancellationToken cancellationToken = default);

    Task AddReferrerAsync(RepositoryName name, Digest subject, ParsedManifest referrer, CancellationToken cancellationToken = default);

    Task RemoveReferrerAsync(RepositoryName name, Digest subject, Digest referrer, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Referrer>> ListReferrersAsync(RepositoryName name, Digest subject, CancellationToken cancellationToken = default);

    Task AddUploadAsync(string uploadId, RepositoryName name, CancellationToken cancellationToken = default);

    Task<UploadSession?> GetUploadOrNullAsync(string uploadId, CancellationToken cancellationToken = default);

    Task DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default);

    /// <summary>Every upload session.</summary>
    Task<IReadOnlyList<UploadSession>> ListUploadSessionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes an upload session read earlier, on condition that it has not been written since.</summary>
    Task<bool> DeleteUploadIfUnchangedAsync(UploadSession session, CancellationToken cancellationToken = default);
}
