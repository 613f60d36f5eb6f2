using System.Text.Json.Serialization;

namespace Registry.Scanning;

/// <summary>
/// A software component found in an image: an OS package or a language package, with the file that records it.
/// <see cref="Ecosystem"/> is the OSV ecosystem its vulnerabilities are filed under (for OS packages it carries the
/// release, such as <c>Alpine:v3.13</c>, once the image's os-release is known). For OS packages
/// <see cref="SourceName"/> is the source package: the name Alpine's and Debian's advisories use.
/// </summary>
public sealed record Component(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("ecosystem")] string Ecosystem,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("sourceName")] string? SourceName = null,
    [property: JsonPropertyName("license")] string? License = null,
    [property: JsonPropertyName("layer")] string? Layer = null);

/// <summary>The distribution an image is built on, from its os-release file.</summary>
public sealed record OsRelease(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("versionId")] string VersionId);

/// <summary>
/// A file the scanner found but could not read, whole or in part, and why (a size cap, an archive nested too deep, a
/// binary whose build information is missing, a damaged database): a scan reports it instead of passing over it.
/// <see cref="Layer"/> is set once the file's layer is known.
/// </summary>
public sealed record ScanSkip(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("layer")] string? Layer = null);
