namespace Registry.Records;

/// <summary>
/// Garbage collection settings changed through /api/v0; an unset field falls back to configuration (Registry:Gc).
/// Also the summary of the last run.
/// </summary>
public sealed class SavedGcSettings : StoredRecord
{
    public bool? Enabled { get; set; }

    public string? Deadline { get; set; }

    public string? ManifestGracePeriod { get; set; }

    public string? BlobGracePeriod { get; set; }

    public string? UploadLifetime { get; set; }

    /// <summary>The last run's report (without its item lists), as JSON.</summary>
    public string? LastRun { get; set; }
}
