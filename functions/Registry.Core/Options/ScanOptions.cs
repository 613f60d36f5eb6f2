namespace Registry.Options;

/// <summary>Settings under <c>Registry:Scan</c> (vulnerability scanning).</summary>
public sealed class ScanOptions
{
    public const string Section = "Registry:Scan";

    /// <summary>Most bytes a layer may expand to; a larger one (a decompression bomb, say) is refused.</summary>
    public long MaxLayerBytes { get; set; } = 16L * 1024 * 1024 * 1024;

    /// <summary>Most entries a layer may hold.</summary>
    public long MaxEntries { get; set; } = 1_000_000;
}
