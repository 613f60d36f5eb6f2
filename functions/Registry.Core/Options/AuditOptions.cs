namespace Registry.Options;

/// <summary>How long the audit log keeps what (<c>Registry:Audit</c>).</summary>
public sealed class AuditOptions
{
    public const string Section = "Registry:Audit";

    /// <summary>Entries older than this go.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The most entries kept per log (the registry's, and each repository's).</summary>
    public int MaxEntries { get; set; } = 50_000;
}
