using System.Formats.Tar;
using System.Text.Json;
using Registry.Options;
using Registry.Scanning;
using Registry.Scanning.Parsers;
using Registry.Tests.Support;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Registry.Tests.Unit;

/// <summary>
/// Language packages read from real trees and compared, package by package, with what the ecosystem's own tool reads:
/// this repository's <c>node_modules</c> (installed by <c>npm ci</c>, with packages that ship <c>dist/esm/package.json</c>
/// and the like) against <c>npm query</c>, and Python's <c>.egg-info</c> files and directories against Python's own
/// metadata reader (the <c>email</c> parser <c>importlib.metadata</c> uses).
/// </summary>
public sealed class LanguagePackageTests
{
    private static LayerAnalyzer Analyzer() => new([new NpmParser(), new PythonParser()], MsOptions.Create(new ScanOptions { MaxEntries = 100_000 }));

    [Fact]
    public async Task Analyze_NodeModulesOfThisRepository_PackagesAsNpmQueryListsThem()
    {
        // Arrange: every package.json under node_modules, at the same paths under app/
        var root = Tool.RepositoryRoot();
        var files = Directory.EnumerateFiles(Path.Combine(root, "node_modules"), "package.json", SearchOption.AllDirectories).ToList();
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
            {
                await writer.WriteEntryAsync(file, "app/" + Path.GetRelativePath(root, file).Replace('\\', '/'));
            }
        }

        tar.Position = 0;
        using var query = JsonDocument.Parse(await Tool.RunAsync("npm", root, null, "query", "*"));
        var expected = query.RootElement.EnumerateArray()
            .Where(p => p.GetProperty("location").GetString() is { Length: > 0 })
            .Select(p => $"app/{p.GetProperty("location").GetString()}/package.json {p.GetProperty("name").GetString()} {p.GetProperty("version").GetString()}")
            .Order(StringComparer.Ordinal)
            .ToList();

        // Act
        var (components, _, skipped) = ImageInventory.Merge([("sha256:npm", await Analyzer().AnalyzeAsync(tar))]);

        // Assert: files below a package's root (dist/esm/package.json, …) are there but are not packages
        Assert.True(files.Count > expected.Count && expected.Count > 100, $"{files.Count} package.json files, {expected.Count} packages");
        Assert.Equal(expected, components.Select(c => $"{c.Path} {c.Name} {c.Version}").Order(StringComparer.Ordinal));
        Assert.Empty(skipped);
    }

    [Fact]
    public async Task Analyze_EggInfoFilesAndDirectories_AsPythonsMetadataReaderReadsThem()
    {
        // Arrange: an egg-info file as Debian's Python 2 packages and distutils install it, one as Python 2.7 ships
        // it, an egg-info directory, and a dist-info directory
        var texts = new (string Path, string Text)[]
        {
            ("usr/lib/python2.7/dist-packages/six-1.16.0.egg-info",
                "Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\nSummary: Python 2 and 3 compatibility utilities\nHome-page: https://github.com/benjaminp/six\n" +
                "Author: Benjamin Peterson\nLicense: MIT\nDescription: .. image:: https://img.shields.io/pypi/v/six.svg\n        \n        Six is a Python 2 and 3 compatibility library.\n" +
                "Platform: UNKNOWN\nClassifier: Programming Language :: Python :: 2\n"),
            ("usr/lib/python2.7/wsgiref.egg-info",
                "Metadata-Version: 1.0\nName: wsgiref\nVersion: 0.1.2\nSummary: WSGI (PEP 333) Reference Library\nAuthor: Phillip J. Eby\n" +
                "Author-email: web-sig@python.org\nLicense: PSF or ZPL\nPlatform: UNKNOWN\n"),
            ("usr/lib/python3/dist-packages/chardet-4.0.0.egg-info/PKG-INFO",
                "Metadata-Version: 2.1\nName: chardet\nVersion: 4.0.0\nLicense: LGPL\n\nUniversal encoding detector.\n"),
            ("usr/lib/python3/dist-packages/idna-3.3.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: idna\nVersion: 3.3\nLicense: BSD-3-Clause\n\nInternationalized Domain Names.\n"),
        };
        var expected = new List<string>();
        foreach (var (path, text) in texts)
        {
            var read = await Tool.RunAsync("python3", Path.GetTempPath(), null, "-c",
                "import email, sys; m = email.message_from_string(sys.argv[1]); print(m['Name'], m['Version'], m['License'])", text);
            expected.Add($"{path} {read.Trim()}");
        }

        // Act
        var analysis = await Analyzer().AnalyzeAsync(new MemoryStream(TestLayers.Tar(texts)));
        var (components, _, _) = ImageInventory.Merge([("sha256:python", analysis)]);

        // Assert
        Assert.Equal(expected.Order(StringComparer.Ordinal), components.Select(c => $"{c.Path} {c.Name} {c.Version} {c.License}").Order(StringComparer.Ordinal));
    }
}
