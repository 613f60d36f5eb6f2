using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>
/// Garbage collection settings changed through /api/v0 (PartitionKey "settings", RowKey "onlinegc"); an unset
/// field falls back to configuration (Registry:Gc). Also the summary of the last run.
/// </summary>
public sealed class GcSettingsEntity : RegistryEntity
{
    public bool? Enabled { get; set; }

    public string? Deadline { get; set; }

    public string? ManifestGracePeriod { get; set; }

    public string? BlobGracePeriod { get; set; }

    public string? UploadLifetime { get; set; }

    /// <summary>The last run's report (without its item lists), as JSON.</summary>
    public string? LastRun { get; set; }

    public SavedGcSettings ToRecord() => Versioned(new SavedGcSettings
    {
        Enabled = Enabled, Deadline = Deadline, ManifestGracePeriod = ManifestGracePeriod, BlobGracePeriod = BlobGracePeriod,
        UploadLifetime = UploadLifetime, LastRun = LastRun,
    });

    public static GcSettingsEntity From(SavedGcSettings s) => new()
    {
        PartitionKey = StorageLayout.SettingsPartition, RowKey = StorageLayout.GcSettingsRow, ETag = VersionOf(s), Enabled = s.Enabled,
        Deadline = s.Deadline, ManifestGracePeriod = s.ManifestGracePeriod, BlobGracePeriod = s.BlobGracePeriod, UploadLifetime = s.UploadLifetime,
        LastRun = s.LastRun,
    };
}
