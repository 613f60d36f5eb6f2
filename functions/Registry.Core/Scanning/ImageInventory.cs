namespace Registry.Scanning;

/// <summary>
/// The components of an image's final filesystem, from its layers' analyses in order: each layer's whiteouts and
/// opaque directories remove what the layers below had there, and a package file replaces the one at its path.
/// Each component names the layer that brought it. OS packages get the OSV ecosystem of the image's release
/// (<c>Alpine:v3.13</c>, <c>Debian:11</c>, <c>Ubuntu:22.04</c>, <c>Rocky Linux:9</c>, <c>AlmaLinux:9</c>, and for RHEL
/// and CentOS, whose packages Red Hat's advisories name, <c>Red Hat:enterprise_linux:8</c>).
/// </summary>
public static class ImageInventory
{
    /// <summary>The image's components, its release, and what of its final filesystem could not be read (with the layer).</summary>
    public static (IReadOnlyList<Component> Components, OsRelease? OsRelease, IReadOnlyList<ScanSkip> Skipped) Merge(
        IReadOnlyList<(string LayerDigest, LayerAnalysis Analysis)> layers)
    {
        var files = new Dictionary<string, (PackageFile File, string Layer)>(StringComparer.Ordinal);
        var releases = new Dictionary<string, OsRelease>(StringComparer.Ordinal);
        foreach (var (digest, analysis) in layers)
        {
            foreach (var directory in analysis.OpaqueDirectories)
            {
                RemoveUnder(files, directory);
                RemoveUnder(releases, directory);
            }

            foreach (var path in analysis.Whiteouts)
            {
                files.Remove(path);
                releases.Remove(path);
                RemoveUnder(files, path);
                RemoveUnder(releases, path);
            }

            foreach (var file in analysis.Files)
            {
                files[file.Path] = (file, digest);
            }

            if (analysis.OsRelease is { } release && analysis.OsReleasePath is { } releasePath)
            {
                releases[releasePath] = release;
            }
        }

        var os = releases.GetValueOrDefault("etc/os-release") ?? releases.GetValueOrDefault("usr/lib/os-release");
        var components = files.Values
            .OrderBy(f => f.File.Path, StringComparer.Ordinal)
            .SelectMany(f => f.File.Components.Select(c => c with { Layer = f.Layer, Ecosystem = EcosystemOf(c, os) }))
            .ToList();

        // An npm package seen both in a lockfile and installed under node_modules is one component.
        var installed = components.Where(c => c.Type == "npm" && !IsLockfile(c.Path)).Select(c => (c.Name, c.Version)).ToHashSet();
        components.RemoveAll(c => c.Type == "npm" && IsLockfile(c.Path) && installed.Contains((c.Name, c.Version)));
        var skipped = files.Values
            .OrderBy(f => f.File.Path, StringComparer.Ordinal)
            .SelectMany(f => (f.File.Skipped ?? []).Select(s => s with { Layer = f.Layer }))
            .ToList();
        return (components, os, skipped);
    }

    private static string EcosystemOf(Component component, OsRelease? os) => (component.Type, os?.Id) switch
    {
        ("apk", "alpine") => $"Alpine:v{MajorMinor(os!.VersionId)}",
        ("deb", "debian") => $"Debian:{os!.VersionId.Split('.')[0]}",
        ("deb", "ubuntu") => $"Ubuntu:{os!.VersionId}",
        ("rpm", "rocky") => $"Rocky Linux:{os!.VersionId.Split('.')[0]}",
        ("rpm", "almalinux") => $"AlmaLinux:{os!.VersionId.Split('.')[0]}",
        ("rpm", "rhel" or "centos") => $"Red Hat:enterprise_linux:{os!.VersionId.Split('.')[0]}",
        _ => component.Ecosystem,
    };

    private static string MajorMinor(string version) => string.Join('.', version.Split('.').Take(2));

    private static bool IsLockfile(string path) => path.EndsWith("package-lock.json", StringComparison.Ordinal);

    private static void RemoveUnder<T>(Dictionary<string, T> entries, string directory)
    {
        var prefix = directory.Length == 0 ? "" : directory + "/";
        foreach (var key in entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            entries.Remove(key);
        }
    }
}
