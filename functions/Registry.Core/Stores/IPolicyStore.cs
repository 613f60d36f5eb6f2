using Registry.Oci;
using Registry.Records;

namespace Registry.Stores;

/// <summary>The pruning, promotion and mirroring policies of repositories, by id, and the mirroring queue.</summary>
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

    Task<IReadOnlyList<MirroringPolicy>> ListMirroringAsync(RepositoryName name, CancellationToken cancellationToken = default);

    /// <summary>Every repository's poll mirroring policies.</summary>
    Task<IReadOnlyList<MirroringPolicy>> ListPollMirroringAsync(CancellationToken cancellationToken = default);

    Task<MirroringPolicy?> GetMirroringOrNullAsync(RepositoryName name, string id, CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces a mirroring policy (its id set by the caller).</summary>
    Task SaveMirroringAsync(MirroringPolicy policy, CancellationToken cancellationToken = default);

    Task<bool> DeleteMirroringAsync(RepositoryName name, string id, CancellationToken cancellationToken = default);

    /// <summary>Records how a run of the policy went (and, when it mirrored something, when); nothing when the policy is gone.</summary>
    Task MarkMirroredAsync(MirroringPolicy policy, CancellationToken cancellationToken = default);

    Task EnqueueMirrorAsync(Mirroring.MirrorJob job, CancellationToken cancellationToken = default);

    /// <summary>Deletes every policy of a repository (when it is deleted: one made again under the name starts without them).</summary>
    Task DeleteAllAsync(RepositoryName name, CancellationToken cancellationToken = default);
}
