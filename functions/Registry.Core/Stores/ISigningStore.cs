using Registry.Oci;
using Registry.Records;
using Registry.Signing;

namespace Registry.Stores;

/// <summary>Signing policies of repositories, trust policies of repositories and namespaces, and the signing queue.</summary>
public interface ISigningStore
{
    Task<IReadOnlyList<SigningPolicy>> ListSigningAsync(RepositoryName name, CancellationToken cancellationToken = default);

    Task<SigningPolicy?> GetSigningOrNullAsync(RepositoryName name, string id, CancellationToken cancellationToken = default);

    /// <summary>Adds (a new id when <paramref name="id"/> is null) or replaces a signing policy.</summary>
    Task<SigningPolicy> SaveSigningAsync(RepositoryName name, string? id, bool enabled, string rules, bool signPlatforms, CancellationToken cancellationToken = default);

    Task<bool> DeleteSigningAsync(RepositoryName name, string id, CancellationToken cancellationToken = default);

    Task MarkSignedAsync(SigningPolicy policy, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The trust policy of a repository or (<paramref name="isNamespace"/>) a namespace, or null.</summary>
    Task<TrustPolicy?> GetTrustOrNullAsync(string scope, bool isNamespace, CancellationToken cancellationToken = default);

    /// <summary>The trust policies of a namespace: its own and its repositories' (one read).</summary>
    Task<IReadOnlyList<TrustPolicy>> ListTrustAsync(string ns, CancellationToken cancellationToken = default);

    /// <summary>Writes a trust policy (its ETag becomes the new version).</summary>
    Task<TrustPolicy> SaveTrustAsync(TrustPolicy policy, CancellationToken cancellationToken = default);

    Task<bool> DeleteTrustAsync(string scope, bool isNamespace, CancellationToken cancellationToken = default);

    /// <summary>Deletes a repository's signing and trust policies (when it is deleted: one made again under the name starts without them).</summary>
    Task DeleteAllAsync(RepositoryName name, CancellationToken cancellationToken = default);

    /// <summary>Puts a job on the signing queue (made when missing).</summary>
    Task EnqueueAsync(SignJob job, CancellationToken cancellationToken = default);
}
