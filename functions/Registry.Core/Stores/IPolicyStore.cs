using Registry.Oci;
using Registry.Records;

namespace Registry.Stores;

/// <summary>The pruning and promotion policies of repositories, by id.</summary>
public interface IPolicyStore
{
    Task<IReadOnlyList<PruningPolicy>> ListPruningAsync(RepositoryName name, CancellationToken cancellationToken = default);

    Task<PruningPolicy?> GetPruningOrNullAsync(RepositoryName name, string id, CancellationToken cancellationToken = default);

    /// <summary>Adds (a new id when <paramref name="id"/> is null) or replaces a pruning policy.</summary>
    Task<PruningPolicy> SavePruningAsync(RepositoryName name, string? id, bool enabled, string rules, CancellationToken cancellationToken = default);

    Task<bool> DeletePruningAsync(RepositoryName name, string id, CancellationToken cancellationToken = default);

    Task MarkPrunedAsync(PruningPolicy policy, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The repositories that have pruning policies.</summary>
    Task<IReadOnlyList<RepositoryName>> ListPrunedRepositoriesAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<PromotionPolicy>> ListPromotionAsync(RepositoryName source, CancellationToken cancellationToken = default);

    /// <summary>The policies that promote into <paramref name="target"/>.</summary>
    Task<IReadOnlyList<PromotionPolicy>> ListPromotionByTargetAsync(RepositoryName target, CancellationToken cancellationToken = default);

    Task<PromotionPolicy?> GetPromotionOrNullAsync(RepositoryName source, string id, CancellationToken cancellationToken = default);

    /// <summary>Adds (a new id when <paramref name="id"/> is null) or replaces a promotion policy.</summary>
    Task<PromotionPolicy> SavePromotionAsync(
        RepositoryName source, string? id, bool enabled, string rules, RepositoryName target, string tagTemplate, CancellationToken cancellationToken = default);

    Task<bool> DeletePromotionAsync(RepositoryName source, string id, CancellationToken cancellationToken = default);

    Task MarkPromotedAsync(PromotionPolicy policy, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Deletes every policy of a repository (when it is deleted: one made again under the name starts without them).</summary>
    Task DeleteAllAsync(RepositoryName name, CancellationToken cancellationToken = default);
}
