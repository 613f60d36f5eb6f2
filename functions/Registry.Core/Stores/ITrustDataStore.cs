using Registry.Oci;
using Registry.Trust;

namespace Registry.Stores;

/// <summary>Where the current version of one role of a GUN is: its version, the SHA-256 and length of its file.</summary>
public sealed record TrustPointer(string Role, long Version, string Sha256, long Length, string? ETag = null);

/// <summary>A server-held key of a GUN's role, its private part sealed (<see cref="Auth.SealingVault"/>).</summary>
public sealed record StoredTrustKey(string Role, string KeyId, byte[] Sealed, DateTimeOffset CreatedAt);

/// <summary>
/// Notary trust data: each metadata file stored once by (GUN, role, SHA-256), and an index per GUN of the current
/// version of each role, of every version and of every checksum, which one atomic commit moves for all roles of an
/// update. Also the server-held timestamp and snapshot keys of each GUN.
/// </summary>
public interface ITrustDataStore
{
    /// <summary>The current version of every role of a GUN, with the ETags a commit is conditioned on.</summary>
    Task<IReadOnlyDictionary<string, TrustPointer>> GetCurrentAsync(Gun gun, CancellationToken cancellationToken = default);

    /// <summary>The current version of one role of a GUN, or null (one point read).</summary>
    Task<TrustPointer?> GetCurrentAsync(Gun gun, string role, CancellationToken cancellationToken = default);

    /// <summary>The SHA-256 of a role's file at a version, or null.</summary>
    Task<string?> FindVersionAsync(Gun gun, string role, long version, CancellationToken cancellationToken = default);

    /// <summary>True when a role's file with this SHA-256 was committed.</summary>
    Task<bool> HasChecksumAsync(Gun gun, string role, string sha256, CancellationToken cancellationToken = default);

    /// <summary>The bytes of a stored file, or null.</summary>
    Task<byte[]?> ReadFileAsync(Gun gun, string role, string sha256, CancellationToken cancellationToken = default);

    /// <summary>Stores a file's bytes (create-only; the same bytes again are fine). Not visible until committed.</summary>
    Task WriteFileAsync(Gun gun, string role, string sha256, byte[] bytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the given versions current, all or none: each role's pointer only if it is still at the ETag read (or, with
    /// none, still absent), and each version recorded once. False when another update came first.
    /// </summary>
    Task<bool> CommitAsync(Gun gun, IReadOnlyList<TrustPointer> updates, CancellationToken cancellationToken = default);

    /// <summary>The current pointers of <paramref name="roles"/> for every GUN of a repository (one per registry host it was published under).</summary>
    Task<IReadOnlyList<(Gun Gun, TrustPointer Pointer)>> ListCurrentAsync(RepositoryName repository, Func<string, bool> roles, CancellationToken cancellationToken = default);

    /// <summary>Deletes a GUN's trust data (its server-held keys stay).</summary>
    Task DeleteAsync(Gun gun, CancellationToken cancellationToken = default);

    /// <summary>Deletes the trust data and keys of every GUN of a repository.</summary>
    Task DeleteRepositoryAsync(RepositoryName repository, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StoredTrustKey>> ListKeysAsync(Gun gun, string role, CancellationToken cancellationToken = default);

    Task AddKeyAsync(Gun gun, StoredTrustKey key, CancellationToken cancellationToken = default);

    Task DeleteKeyAsync(Gun gun, string role, string keyId, CancellationToken cancellationToken = default);
}
