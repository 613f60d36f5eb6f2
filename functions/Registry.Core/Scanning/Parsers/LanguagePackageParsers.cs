using System.IO.Compression;
using System.Text.Json;

namespace Registry.Scanning.Parsers;

/// <summary>
/// npm: the <c>package.json</c> at the root of each installed package (<c>node_modules/&lt;name&gt;/</c> or
/// <c>node_modules/@scope/&lt;name&gt;/</c>; those below a package's root, such as <c>dist/esm/package.json</c>, are
/// not installations) and <c>package-lock.json</c> files (lockfile versions 1 to 3).
/// </summary>
public sealed class NpmParser : IPackageFileParser
{
    public long MaxBytes => 32L * 1024 * 1024;

    public bool Matches(string path, bool executable) =>
        IsPackageRoot(path) || path == "package-lock.json" || path.EndsWith("/package-lock.json", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="path"/> is <c>…node_modules/name/package.json</c> or <c>…node_modules/@scope/name/package.json</c>.</summary>
    internal static bool IsPackageRoot(string path)
    {
        if (!path.EndsWith("/package.json", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = path.Split('/');
        var n = parts.Length;
        return (n >= 3 && parts[n - 3] == "node_modules" && !parts[n - 2].StartsWith('@'))
            || (n >= 4 && parts[n - 4] == "node_modules" && parts[n - 3].StartsWith('@') && parts[n - 3].Length > 1);
    }

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        if (!path.EndsWith("package-lock.json", StringComparison.Ordinal))
        {
            return Text(root, "name") is { } name && Text(root, "version") is { } version
                ? [new Component("npm", name, version, "npm", path, License: License(root))]
                : [];
        }

        var components = new List<Component>();
        if (root.TryGetProperty("packages", out var packages) && packages.ValueKind == JsonValueKind.Object)
        {
            foreach (var package in packages.EnumerateObject())
            {
                // Keys are install paths ("node_modules/a/node_modules/b"); "" is the project itself.
                var at = package.Name.LastIndexOf("node_modules/", StringComparison.Ordinal);
                if (at >= 0 && package.Value.ValueKind == JsonValueKind.Object && Text(package.Value, "version") is { } version
                    && !(package.Value.TryGetProperty("link", out var link) && link.ValueKind == JsonValueKind.True))
                {
                    var name = Text(package.Value, "name") ?? package.Name[(at + "node_modules/".Length)..];
                    components.Add(new Component("npm", name, version, "npm", path, License: License(package.Value)));
                }
            }
        }
        else if (root.TryGetProperty("dependencies", out var dependencies))
        {
            AddLockV1(dependencies, path, components);
        }

        return components;
    }

    private static void AddLockV1(JsonElement dependencies, string path, List<Component> components)
    {
        if (dependencies.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var dependency in dependencies.EnumerateObject())
        {
            if (dependency.Value.ValueKind == JsonValueKind.Object && Text(dependency.Value, "version") is { } version)
            {
                components.Add(new Component("npm", dependency.Name, version, "npm", path));
                if (dependency.Value.TryGetProperty("dependencies", out var nested))
                {
                    AddLockV1(nested, path, components);
                }
            }
        }
    }

    private static string? License(JsonElement package) =>
        package.TryGetProperty("license", out var license) ? license.ValueKind switch
        {
            JsonValueKind.String => license.GetString(),
            JsonValueKind.Object => Text(license, "type"),
            _ => null,
        } : null;

    internal static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}

/// <summary>
/// Python: the <c>METADATA</c> of each installed distribution (<c>*.dist-info</c>), the <c>PKG-INFO</c> of an
/// <c>*.egg-info</c> directory, and an <c>*.egg-info</c> file (distutils and Debian's Python 2 packages write the
/// same headers to a file of that name).
/// </summary>
public sealed class PythonParser : IPackageFileParser
{
    public long MaxBytes => 4L * 1024 * 1024;

    public bool Matches(string path, bool executable) =>
        path.EndsWith(".dist-info/METADATA", StringComparison.Ordinal) || path.EndsWith(".egg-info/PKG-INFO", StringComparison.Ordinal)
        || path.EndsWith(".egg-info", StringComparison.Ordinal);

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        // The headers end at the first blank line; the description follows.
        var headers = PackageText.Paragraphs(await PackageText.ReadAllAsync(content, cancellationToken)).FirstOrDefault();
        return headers is not null && headers.TryGetValue("Name", out var name) && headers.TryGetValue("Version", out var version)
            ? [new Component("pypi", name, version, "PyPI", path, License: headers.GetValueOrDefault("License-Expression") ?? headers.GetValueOrDefault("License"))]
            : [];
    }
}

/// <summary>.NET: the NuGet packages of an application's <c>*.deps.json</c> (<c>libraries</c> of type package).</summary>
public sealed class DepsJsonParser : IPackageFileParser
{
    public long MaxBytes => 16L * 1024 * 1024;

    public bool Matches(string path, bool executable) => path.EndsWith(".deps.json", StringComparison.Ordinal);

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken);
        var components = new List<Component>();
        if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("libraries", out var libraries)
            && libraries.ValueKind == JsonValueKind.Object)
        {
            foreach (var library in libraries.EnumerateObject())
            {
                var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
                if (slash > 0 && library.Value.ValueKind == JsonValueKind.Object && NpmParser.Text(library.Value, "type") == "package")
                {
                    components.Add(new Component("nuget", library.Name[..slash], library.Name[(slash + 1)..], "NuGet", path));
                }
            }
        }

        return components;
    }
}

/// <summary>
/// Java: the Maven coordinates in <c>META-INF/maven/**/pom.properties</c> of <c>.jar</c>, <c>.war</c> and
/// <c>.ear</c> archives, and of the archives nested one level inside them (Spring Boot's BOOT-INF/lib, WEB-INF/lib);
/// an archive nested deeper or larger than 32 MiB is reported as skipped.
/// </summary>
public sealed class JarParser : IPackageFileParser
{
    private const long MaxNestedBytes = 32L * 1024 * 1024;

    public long MaxBytes => 128L * 1024 * 1024;

    public bool Matches(string path, bool executable) => IsArchive(path);

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        // A zip needs random access: the archive is held in memory (MaxBytes at most).
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        var components = new List<Component>();
        await ReadArchiveAsync(buffer, path, nested: true, components, skipped, cancellationToken);
        return components;
    }

    private static async Task ReadArchiveAsync(
        Stream archive, string path, bool nested, List<Component> components, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        try
        {
            using var zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.StartsWith("META-INF/maven/", StringComparison.Ordinal) && entry.FullName.EndsWith("/pom.properties", StringComparison.Ordinal)
                    && entry.Length <= 64 * 1024)
                {
                    await using var stream = entry.Open();
                    var properties = PackageText.Paragraphs(await PackageText.ReadAllAsync(stream, cancellationToken), '=').FirstOrDefault();
                    if (properties is not null && properties.TryGetValue("groupId", out var group) && properties.TryGetValue("artifactId", out var artifact)
                        && properties.TryGetValue("version", out var version))
                    {
                        components.Add(new Component("maven", $"{group}:{artifact}", version, "Maven", path));
                    }
                }
                else if (IsArchive(entry.FullName))
                {
                    var inPath = $"{path}!/{entry.FullName}";
                    if (!nested || entry.Length > MaxNestedBytes)
                    {
                        skipped.Add(new ScanSkip(inPath, nested ? $"a nested archive larger than {MaxNestedBytes} bytes" : "an archive nested two levels deep"));
                        continue;
                    }

                    using var inner = new MemoryStream();
                    await using (var stream = entry.Open())
                    {
                        await stream.CopyToAsync(inner, cancellationToken);
                    }

                    await ReadArchiveAsync(inner, inPath, nested: false, components, skipped, cancellationToken);
                }
            }
        }
        catch (InvalidDataException e)
        {
            // Not a zip after all, or a damaged one: it records what it read, and why it stopped.
            skipped.Add(new ScanSkip(path, $"not readable: {e.Message}"));
        }
    }

    private static bool IsArchive(string path) =>
        path.EndsWith(".jar", StringComparison.Ordinal) || path.EndsWith(".war", StringComparison.Ordinal) || path.EndsWith(".ear", StringComparison.Ordinal);
}
