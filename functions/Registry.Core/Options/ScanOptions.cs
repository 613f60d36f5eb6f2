namespace Registry.Options;

/// <summary>Settings under <c>Registry:Scan</c> (vulnerability scanning).</summary>
public sealed class ScanOptions
{
    public const string Section = "Registry:Scan";

    /// <summary>Most bytes a layer may expand to; a larger one (a decompression bomb, say) is refused.</summary>
    public long MaxLayerBytes { get; set; } = 16L * 1024 * 1024 * 1024;

    /// <summary>Most entries a layer may hold.</summary>
    public long MaxEntries { get; set; } = 1_000_000;

    /// <summary>The Storage Queue of scan jobs (one message per image and platform).</summary>
    public string Queue { get; set; } = "scans";

    /// <summary>Where the online refresh fetches the vulnerability database: a zip of OSV records. None: offline only.</summary>
    public Uri? DatabaseUrl { get; set; }

    /// <summary>When the online refresh runs: a six-field CRON expression (UTC); DTR checks daily at 03:00.</summary>
    public string DatabaseSchedule { get; set; } = "0 0 3 * * *";

    /// <summary>Largest vulnerability database accepted, by upload or download.</summary>
    public long MaxDatabaseBytes { get; set; } = 1024L * 1024 * 1024;
}
