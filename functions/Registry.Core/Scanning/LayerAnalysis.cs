using System.Text.Json.Serialization;

namespace Registry.Scanning;

/// <summary>
/// What one layer holds that a scan needs, kept by layer digest so that a layer shared by many images is read once:
/// the components of each package file it adds, its os-release, and what it deletes from the layers below
/// (whiteouts of single paths and opaque directories). <see cref="Analyzer"/> is the analyzer's version that made
/// it: an analysis of an older one is made again, so that what a newer analyzer reads is not missed.
/// </summary>
public sealed record LayerAnalysis(
    [property: JsonPropertyName("files")] IReadOnlyList<PackageFile> Files,
    [property: JsonPropertyName("whiteouts")] IReadOnlyList<string> Whiteouts,
    [property: JsonPropertyName("opaqueDirectories")] IReadOnlyList<string> OpaqueDirectories,
    [property: JsonPropertyName("osRelease")] OsRelease? OsRelease,
    [property: JsonPropertyName("osReleasePath")] string? OsReleasePath,
    [property: JsonPropertyName("analyzer")] int Analyzer = 0);

/// <summary>
/// A package file of a layer (a package database or a package's manifest), what it records, and what of it could
/// not be read (the whole file, or a part such as an archive nested in it).
/// </summary>
public sealed record PackageFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("components")] IReadOnlyList<Component> Components,
    [property: JsonPropertyName("skipped")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ScanSkip>? Skipped = null);

/// <summary>A layer the scanner refuses to read further (too large, too many entries, not a tar), and why.</summary>
public sealed class LayerRefusedException(string reason) : Exception(reason);
