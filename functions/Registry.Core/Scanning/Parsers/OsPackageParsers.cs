namespace Registry.Scanning.Parsers;

/// <summary>Alpine's installed database, <c>lib/apk/db/installed</c>: records of <c>X:value</c> lines (P name, V version, L license, o origin).</summary>
public sealed class ApkInstalledParser : IPackageFileParser
{
    public const string DatabasePath = "lib/apk/db/installed";

    public long MaxBytes => 64L * 1024 * 1024;

    public bool Matches(string path, bool executable) => path == DatabasePath;

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        var components = new List<Component>();
        foreach (var record in PackageText.Paragraphs(await PackageText.ReadAllAsync(content, cancellationToken)))
        {
            if (record.TryGetValue("P", out var name) && record.TryGetValue("V", out var version) && name.Length > 0 && version.Length > 0)
            {
                components.Add(new Component("apk", name, version, "Alpine", path, record.GetValueOrDefault("o"), record.GetValueOrDefault("L")));
            }
        }

        return components;
    }
}

/// <summary>
/// dpkg's database: <c>var/lib/dpkg/status</c> (installed packages only) and the one-package files of
/// <c>var/lib/dpkg/status.d/</c> (distroless images). The source package (<c>Source:</c>, without its version) is
/// what Debian and Ubuntu advisories name.
/// </summary>
public sealed class DpkgStatusParser : IPackageFileParser
{
    public long MaxBytes => 64L * 1024 * 1024;

    public bool Matches(string path, bool executable) =>
        path == "var/lib/dpkg/status"
        || (path.StartsWith("var/lib/dpkg/status.d/", StringComparison.Ordinal) && !path.EndsWith(".md5sums", StringComparison.Ordinal)
            && path.IndexOf('/', "var/lib/dpkg/status.d/".Length) < 0);

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        var statusFile = path == "var/lib/dpkg/status";
        var components = new List<Component>();
        foreach (var record in PackageText.Paragraphs(await PackageText.ReadAllAsync(content, cancellationToken)))
        {
            if (!record.TryGetValue("Package", out var name) || !record.TryGetValue("Version", out var version))
            {
                continue;
            }

            // In the status file, packages removed but not purged stay with another status.
            if (statusFile && (!record.TryGetValue("Status", out var status) || !status.EndsWith(" installed", StringComparison.Ordinal)))
            {
                continue;
            }

            var source = record.GetValueOrDefault("Source")?.Split(' ')[0];
            components.Add(new Component("deb", name, version, "Debian", path, string.IsNullOrEmpty(source) ? name : source));
        }

        return components;
    }
}

/// <summary>os-release (<c>etc/os-release</c>, <c>usr/lib/os-release</c>): the distribution and its release.</summary>
public static class OsReleaseParser
{
    public static bool Matches(string path) => path is "etc/os-release" or "usr/lib/os-release";

    public static async Task<OsRelease?> ParseAsync(Stream content, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (await PackageText.ReadAllAsync(content, cancellationToken)).Split('\n'))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals].Trim()] = line[(equals + 1)..].Trim().Trim('"', '\'');
            }
        }

        return values.TryGetValue("ID", out var id) ? new OsRelease(id, values.GetValueOrDefault("VERSION_ID") ?? "") : null;
    }
}
