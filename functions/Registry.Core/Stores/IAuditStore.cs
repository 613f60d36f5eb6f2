using Registry.Records;

namespace Registry.Stores;

/// <summary>The audit log: the whole registry's entries, and each repository's, newest first.</summary>
public interface IAuditStore
{
    /// <summary>Adds an entry to the registry's log and, when it names one, to its repository's.</summary>
    Task AddAsync(AuditEntry entry, bool inRepository, CancellationToken cancellationToken = default);

    /// <summary>Entries newest first, from the id <paramref name="start"/>: the registry's, or one repository's.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAsync(string? repository, string? start, int limit, CancellationToken cancellationToken = default);

    /// <summary>Drops a log's entries older than <paramref name="before"/> and beyond the newest <paramref name="keep"/>; returns how many.</summary>
    Task<int> TrimAsync(string? repository, DateTimeOffset before, int keep, CancellationToken cancellationToken = default);

    /// <summary>Drops a deleted repository's log (the registry's keeps its entries).</summary>
    Task DeleteRepositoryAsync(string repository, CancellationToken cancellationToken = default);
}
