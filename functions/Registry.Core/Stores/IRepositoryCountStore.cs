using Registry.Oci;

namespace Registry.Stores;

/// <summary>How often a repository was pulled and pushed, as flushed by every instance.</summary>
public sealed record RepositoryCounts(long Pulls, long Pushes);

/// <summary>The stored pull and push counts of repositories.</summary>
public interface IRepositoryCountStore
{
    /// <summary>The counts of the given repositories (absent: none counted yet), in one query.</summary>
    Task<IReadOnlyDictionary<string, RepositoryCounts>> GetAsync(IReadOnlyList<RepositoryName> names, CancellationToken cancellationToken = default);

    /// <summary>Adds to a repository's counts, on condition of what was read (retried when another instance wrote first).</summary>
    Task AddAsync(RepositoryName name, long pulls, long pushes, CancellationToken cancellationToken = default);

    Task DeleteAsync(RepositoryName name, CancellationToken cancellationToken = default);
}
