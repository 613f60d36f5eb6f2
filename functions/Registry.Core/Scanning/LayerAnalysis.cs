using System.Text.Json.Serialization;

namespace Registry.Scanning;

/// <summary>
/// What one layer holds that a scan needs, kept by layer digest so that a layer shared by many images is read once:
/// the components of each package file it adds, its os-release, and what it deletes from the layers below
/// (whiteouts of single paths and opaque directories).
/// </summary>
public sealed record LayerAnalysis(
    [property: JsonPropertyName("files")] IReadOnlyList<PackageFile> Files,
    [property: JsonPropertyName("whiteouts")] IReadOnlyList<string> Whiteouts,
    [property: JsonPropertyName("opaqueDirectories")] IReadOnlyList<string> OpaqueDirectories,
    [property: JsonPropertyName("osRelease")] OsRelease? OsRelease,
    [property: JsonPropertyName("osReleasePath")] string? OsReleasePath);

/// <summary>A package file of a layer (a package database or a package's manifest) and what it records.</summary>
public sealed record PackageFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("components")] IReadOnlyList<Component> Components);

/// <summary>A layer the scanner refuses to read further (too large, too many entries, not a tar), and why.</summary>
public sealed class LayerRefusedException(string reason) : Exception(reason);
