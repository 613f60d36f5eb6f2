using Registry.Oci;
using Registry.Records;

namespace Registry.Stores;

/// <summary>
/// What pull-through caching keeps besides content and metadata: claims on blob fetches in progress (so that
/// instances fetch a blob once between them) and, at an origin, the content caches it redirects to.
/// </summary>
public interface ICacheStore
{
    /// <summary>
    /// Claims the fetch of <paramref name="digest"/> for <paramref name="owner"/>: true when no claim exists, or the one
    /// there is older than <paramref name="lifetime"/> (its instance died) and this call replaced it first.
    /// </summary>
    Task<bool> TryClaimFetchAsync(Digest digest, string owner, TimeSpan lifetime, CancellationToken cancellationToken = default);

    /// <summary>True while someone holds a claim on the fetch of <paramref name="digest"/> younger than <paramref name="lifetime"/>.</summary>
    Task<bool> IsFetchClaimedAsync(Digest digest, TimeSpan lifetime, CancellationToken cancellationToken = default);

    /// <summary>Ends <paramref name="owner"/>'s claim (done or failed).</summary>
    Task ReleaseFetchAsync(Digest digest, string owner, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ContentCacheRecord>> ListContentCachesAsync(CancellationToken cancellationToken = default);

    Task<ContentCacheRecord?> GetContentCacheOrNullAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Adds a content cache; false when one of that name exists.</summary>
    Task<bool> AddContentCacheAsync(ContentCacheRecord cache, CancellationToken cancellationToken = default);

    Task<bool> DeleteContentCacheAsync(string id, CancellationToken cancellationToken = default);
}
