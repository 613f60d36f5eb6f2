namespace Registry.Records;

/// <summary>
/// The registry's settings that system administrators change at run time (DTR's <c>/meta/settings</c>); unset
/// fields take their defaults.
/// </summary>
public sealed class SavedRegistrySettings : StoredRecord
{
    /// <summary>Whether a push creates the repository it names (default true); off, pushes need a repository made first.</summary>
    public bool? CreateRepositoryOnPush { get; set; }

    /// <summary>Whether every write through /v2/ is refused, for maintenance (default false).</summary>
    public bool? ReadOnlyRegistry { get; set; }
}

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
