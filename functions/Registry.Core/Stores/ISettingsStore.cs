using Registry.Records;

namespace Registry.Stores;

/// <summary>Settings changed at run time: the saved GC settings with the last run's summary, and the vulnerability database in use.</summary>
public interface ISettingsStore
{
    Task<SavedGcSettings?> GetGcSettingsOrNullAsync(CancellationToken cancellationToken = default);

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
}
