using Registry.Records;

namespace Registry.Stores;

/// <summary>The jobs' records, newest first.</summary>
public interface IJobStore
{
    /// <summary>Writes a job whole (added or replaced, whatever its version).</summary>
    Task SaveAsync(JobRecord job, CancellationToken cancellationToken = default);

    Task<JobRecord?> GetOrNullAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Jobs newest first, from <paramref name="start"/> (an id) when given, of one action and/or running only when asked.</summary>
    Task<IReadOnlyList<JobRecord>> ListAsync(string? action, bool? running, string? start, int limit, CancellationToken cancellationToken = default);

    /// <summary>Marks a running job for cancelling on condition of its ETag; false when it changed meanwhile.</summary>
    Task<bool> UpdateAsync(JobRecord job, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Deletes up to <paramref name="most"/> jobs older than <paramref name="before"/>; returns how many.</summary>
    Task<int> DeleteOlderAsync(DateTimeOffset before, int most, CancellationToken cancellationToken = default);
}
