using Registry.Records;

namespace Registry.Stores;

/// <summary>
/// Settings changed at run time and what operators read: the registry's settings, the saved GC settings with the last run's summary, the
/// vulnerability database in use, each timer's last run, and the instances seen.
/// </summary>
public interface ISettingsStore
{
    Task<SavedGcSettings?> GetGcSettingsOrNullAsync(CancellationToken cancellationToken = default);

    Task<SavedRegistrySettings?> GetRegistrySettingsOrNullAsync(CancellationToken cancellationToken = default);

    /// <summary>Saves the registry's settings whole: added when never saved, else replaced on condition of the ETag read. False when written meanwhile.</summary>
    Task<bool> TrySaveRegistrySettingsAsync(SavedRegistrySettings settings, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves the GC settings whole (a setting returned to configuration loses its stored value): added when
    /// <paramref name="exists"/> is false, else replaced on condition of the ETag read. False when written meanwhile.
    /// </summary>
    Task<bool> TrySaveGcSettingsAsync(SavedGcSettings settings, bool exists, CancellationToken cancellationToken = default);

    /// <summary>Saves the last GC run's summary alone, so the settings saved beside it stay.</summary>
    Task SaveGcLastRunAsync(string summary, CancellationToken cancellationToken = default);

    /// <summary>The vulnerability database in use, as JSON; null before the first import.</summary>
    Task<string?> GetVulnerabilityDatabaseOrNullAsync(CancellationToken cancellationToken = default);

    Task SaveVulnerabilityDatabaseAsync(string info, CancellationToken cancellationToken = default);

    Task SaveTimerRunAsync(TimerRun run, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TimerRun>> ListTimerRunsAsync(CancellationToken cancellationToken = default);

    /// <summary>Records that an instance runs (its row is replaced).</summary>
    Task SaveInstanceAsync(InstanceSeen instance, CancellationToken cancellationToken = default);

    /// <summary>The instances seen since <paramref name="since"/>; rows of instances gone before <paramref name="forgetBefore"/> are deleted.</summary>
    Task<IReadOnlyList<InstanceSeen>> ListInstancesAsync(DateTimeOffset since, DateTimeOffset forgetBefore, CancellationToken cancellationToken = default);
}
