namespace Registry.Options;

/// <summary>Settings under <c>Registry:Gc</c> (online garbage collection).</summary>
public sealed class GcOptions
{
    public const string Section = "Registry:Gc";

    /// <summary>When the GC timer runs: a six-field CRON expression with seconds (UTC). Default: daily at 02:00.</summary>
    public string Schedule { get; set; } = "0 0 2 * * *";

    /// <summary>The longest one run may take ("For x minutes"); a run that reaches it stops and reports itself incomplete.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>An untagged, unreferenced manifest is deleted only when its row was last written longer ago than this.</summary>
    public TimeSpan ManifestGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An unreferenced blob link or content blob is deleted only when last written longer ago than this.</summary>
    public TimeSpan BlobGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An upload session with no activity for this long is expired and removed.</summary>
    public TimeSpan UploadLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A push that reuses a blob link, a manifest or a content blob last written longer ago than this writes it again
    /// ("touches" it), so a GC run that judged it unreferenced fails its conditional delete. The grace periods are
    /// never shorter than this.
    /// </summary>
    public TimeSpan TouchInterval { get; set; } = TimeSpan.FromMinutes(10);
}
