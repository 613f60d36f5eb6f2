using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Registry.Options;
using Registry.Scanning;
using Registry.Scanning.Parsers;
using Registry.Tests.Support;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Registry.Tests.Unit;

/// <summary>
/// Layers made in the test (tar, gzip, zstd) read by the analyzer and merged into an image's inventory: OS and
/// language packages, whiteouts and opaque directories, and hostile layers (path traversal, a decompression bomb,
/// a file too large to read, a symbolic link where a database should be, bytes that are no archive).
/// </summary>
public sealed class LayerAnalyzerTests
{
    private const string AlpineRelease = TestLayers.AlpineRelease;
    private const string ApkInstalled = TestLayers.ApkInstalled;
    private const string DpkgStatus =
        "Package: libssl1.1\nStatus: install ok installed\nSource: openssl (1.1.1k-1)\nVersion: 1.1.1k-1\nDescription: SSL\n continued line\n\n" +
        "Package: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.11.dfsg-2\n\n" +
        "Package: old-tool\nStatus: deinstall ok config-files\nVersion: 0.1-1\n\n";

    private static LayerAnalyzer Analyzer(long maxLayerBytes = 1L << 30) => new(
        [new ApkInstalledParser(), new DpkgStatusParser(), new NpmParser(), new PythonParser(), new DepsJsonParser(), new JarParser(), new GoBinaryParser()],
        MsOptions.Create(new ScanOptions { MaxLayerBytes = maxLayerBytes, MaxEntries = 10_000 }));

    [Fact]
    public async Task Merge_AlpineLayers_PackagesWithReleaseEcosystemAndLayer()
    {
        // Arrange: the base layer has os-release and the apk database; the next one only adds a file
        var first = await Analyzer().AnalyzeAsync(Gzip(Tar(("etc/os-release", AlpineRelease), ("lib/apk/db/installed", ApkInstalled))));
        var second = await Analyzer().AnalyzeAsync(Gzip(Tar(("app/readme.txt", "hello"))));

        // Act
        var (components, os, _) = ImageInventory.Merge([("sha256:one", first), ("sha256:two", second)]);

        // Assert
        Assert.Equal(new OsRelease("alpine", "3.13.5"), os);
        var ssl = Assert.Single(components, c => c.Name == "libssl1.1");
        Assert.Equal(("1.1.1j-r0", "Alpine:v3.13", "openssl", "OpenSSL", "sha256:one", "lib/apk/db/installed"),
            (ssl.Version, ssl.Ecosystem, ssl.SourceName, ssl.License, ssl.Layer, ssl.Path));
        Assert.Equal(2, components.Count);
    }

    [Fact]
    public async Task Analyze_DpkgStatusInZstdLayer_InstalledPackagesWithSourceNames()
    {
        // Act
        var analysis = await Analyzer().AnalyzeAsync(Zstd(Tar(("etc/os-release", "ID=debian\nVERSION_ID=\"11\"\n"), ("var/lib/dpkg/status", DpkgStatus))));
        var (components, _, _) = ImageInventory.Merge([("sha256:base", analysis)]);

        // Assert: the removed package is not reported; the epoch stays in the version
        Assert.Equal(new[] { "libssl1.1", "zlib1g" }, components.Select(c => c.Name));
        Assert.Equal(new[] { "openssl", "zlib" }, components.Select(c => c.SourceName));
        Assert.Equal("1:1.2.11.dfsg-2", components[1].Version);
        Assert.All(components, c => Assert.Equal("Debian:11", c.Ecosystem));
    }

    [Fact]
    public async Task Merge_WhiteoutAndOpaqueDirectory_RemoveLowerComponents()
    {
        // Arrange: two npm packages and a Python one in the base; the next layer deletes lodash and makes the
        // site-packages directory opaque, then installs another Python package there
        var base_ = await Analyzer().AnalyzeAsync(Gzip(Tar(
            ("usr/lib/node_modules/lodash/package.json", "{\"name\":\"lodash\",\"version\":\"4.17.15\",\"license\":\"MIT\"}"),
            ("usr/lib/node_modules/minimist/package.json", "{\"name\":\"minimist\",\"version\":\"1.2.5\"}"),
            ("usr/lib/python3/site-packages/urllib3-1.26.4.dist-info/METADATA", "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.4\nLicense: MIT\n\nlong text: here\n"))));
        var top = await Analyzer().AnalyzeAsync(Plain(Tar(
            ("usr/lib/node_modules/.wh.lodash", ""),
            ("usr/lib/python3/site-packages/.wh..wh..opq", ""),
            ("usr/lib/python3/site-packages/requests-2.25.0.dist-info/METADATA", "Name: requests\nVersion: 2.25.0\n"))));

        // Act
        var (components, _, _) = ImageInventory.Merge([("sha256:base", base_), ("sha256:top", top)]);

        // Assert
        Assert.Equal(new[] { "minimist", "requests" }, components.Select(c => c.Name).Order());
        Assert.Equal("sha256:top", components.Single(c => c.Name == "requests").Layer);
        Assert.Equal("PyPI", components.Single(c => c.Name == "requests").Ecosystem);
    }

    [Fact]
    public async Task Analyze_LockfileDepsJsonJarAndGoBinary_LanguagePackages()
    {
        // Arrange
        var lockfile = "{\"lockfileVersion\":3,\"packages\":{\"\":{\"name\":\"app\"},\"node_modules/express\":{\"version\":\"4.17.1\",\"license\":\"MIT\"}," +
                       "\"node_modules/express/node_modules/qs\":{\"version\":\"6.7.0\"},\"node_modules/linked\":{\"link\":true}}}";
        var deps = "{\"libraries\":{\"App/1.0.0\":{\"type\":\"project\"},\"Newtonsoft.Json/12.0.1\":{\"type\":\"package\"}}}";
        var layer = Tar(
            ("app/package-lock.json", lockfile),
            ("app/node_modules/express/package.json", "{\"name\":\"express\",\"version\":\"4.17.1\"}"),
            ("app/App.deps.json", deps));
        layer = TestLayers.Append(layer, "app/lib/log4j.jar", Jar(("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
            "#Created by Maven\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n")));
        layer = TestLayers.Append(layer, "usr/local/bin/server", TestLayers.GoBinary("go1.16.3",
            "path\texample.com/server\nmod\texample.com/server\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.5\th1:abc=\ndep\tgithub.com/old/dep\tv1.0.0\th1:def=\n=>\tgithub.com/new/dep\tv1.1.0\th1:ghi=\n"), executable: true);

        // Act
        var (components, _, _) = ImageInventory.Merge([("sha256:app", await Analyzer().AnalyzeAsync(new MemoryStream(layer)))]);

        // Assert: express once (installed copy kept), qs from the lockfile, and the others
        var found = components.Select(c => $"{c.Ecosystem} {c.Name} {c.Version}").Order().ToList();
        Assert.Equal(new[]
        {
            "Go example.com/server (devel)", "Go github.com/new/dep v1.1.0", "Go golang.org/x/text v0.3.5", "Go stdlib v1.16.3",
            "Maven org.apache.logging.log4j:log4j-core 2.14.1", "npm express 4.17.1", "npm qs 6.7.0", "NuGet Newtonsoft.Json 12.0.1",
        }, found);
        Assert.Equal("app/node_modules/express/package.json", components.Single(c => c.Name == "express").Path);
    }

    [Fact]
    public async Task Analyze_PathTraversalAndSymlink_Ignored()
    {
        // Arrange: a database outside the root, and a symbolic link where the database should be
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(File("../../lib/apk/db/installed", ApkInstalled));
            await writer.WriteEntryAsync(File("/lib/../../lib/apk/db/installed", ApkInstalled));
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "lib/apk/db/installed") { LinkName = "/etc/shadow" });
        }

        // Act
        var analysis = await Analyzer().AnalyzeAsync(new MemoryStream(tar.ToArray()));

        // Assert
        Assert.Empty(analysis.Files);
        Assert.Empty(analysis.Whiteouts);
    }

    [Fact]
    public async Task Analyze_DecompressionBomb_Refused()
    {
        // Arrange: 64 MiB of zeros in a gzip of a few tens of KiB, against a 4 MiB limit
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "zeros") { DataStream = new MemoryStream(new byte[64 * 1024 * 1024]) };
            await writer.WriteEntryAsync(entry);
        }

        var bomb = Gzip(tar.ToArray());

        // Act and assert
        Assert.True(bomb.Length < 1024 * 1024);
        await Assert.ThrowsAsync<LayerRefusedException>(() => Analyzer(maxLayerBytes: 4 * 1024 * 1024).AnalyzeAsync(bomb));
    }

    [Theory]
    [InlineData(new byte[] { 0x1f, 0x8b, 0x08, 0x00, 0x00 })]             // a gzip header and nothing after
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x01, 0x02 })] // a broken zstd frame
    public async Task Analyze_NotAnArchive_Refused(byte[] bytes) =>
        await Assert.ThrowsAsync<LayerRefusedException>(() => Analyzer().AnalyzeAsync(new MemoryStream(bytes)));

    [Fact]
    public async Task Analyze_RandomBytes_RefusedOrEmpty()
    {
        // Act: random bytes are neither a tar header nor compressed; either answer leaves nothing behind
        var result = await Record.ExceptionAsync(async () =>
        {
            var analysis = await Analyzer().AnalyzeAsync(new MemoryStream(OciTestRandom(4096)));
            Assert.Empty(analysis.Files);
        });

        // Assert
        Assert.True(result is null or LayerRefusedException, result?.ToString());
    }

    [Fact]
    public async Task Merge_PackageFileTooLargeToRead_HidesLowerCopyReportedSkipped()
    {
        // Arrange: the top layer replaces the deps.json with one larger than the parser reads (16 MiB)
        var lower = await Analyzer().AnalyzeAsync(Plain(Tar(("app/App.deps.json", "{\"libraries\":{\"Old/1.0.0\":{\"type\":\"package\"}}}"))));
        var upper = await Analyzer().AnalyzeAsync(Plain(Tar(("app/App.deps.json", new string(' ', 17 * 1024 * 1024)))));

        // Act
        var (components, _, skipped) = ImageInventory.Merge([("sha256:lower", lower), ("sha256:upper", upper)]);

        // Assert
        Assert.Empty(components);
        var skip = Assert.Single(skipped);
        Assert.Equal(("app/App.deps.json", "sha256:upper"), (skip.Path, skip.Layer));
        Assert.Equal("larger than 16777216 bytes, the most read of such a file", skip.Reason);
    }

    [Fact]
    public async Task Merge_DamagedFilesAndAWhiteout_SkipsOfTheFinalFilesystemOnly()
    {
        // Arrange: a package.json cut short, a METADATA without a version (nothing to skip: it names no package),
        // and a damaged deps.json that the next layer deletes
        var lower = await Analyzer().AnalyzeAsync(Gzip(Tar(
            ("usr/lib/node_modules/left-pad/package.json", "{\"name\":\"left-pad\",\"vers"),
            ("app/App.deps.json", "{\"libraries\":"))));
        var upper = await Analyzer().AnalyzeAsync(Gzip(Tar(("app/.wh.App.deps.json", ""))));

        // Act
        var (components, _, skipped) = ImageInventory.Merge([("sha256:lower", lower), ("sha256:upper", upper)]);

        // Assert
        Assert.Empty(components);
        var skip = Assert.Single(skipped);
        Assert.Equal(("usr/lib/node_modules/left-pad/package.json", "sha256:lower"), (skip.Path, skip.Layer));
        Assert.StartsWith("not readable: ", skip.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyze_ArchiveNestedTwoLevelsDeep_OuterReadInnermostSkipped()
    {
        // Arrange: app.war holds lib/a.jar (read), which holds lib/b.jar (not read)
        var innermost = Jar(("META-INF/maven/org.example/b/pom.properties", "groupId=org.example\nartifactId=b\nversion=1.0\n"));
        var middle = ZipOf(("META-INF/maven/org.example/a/pom.properties", Encoding.UTF8.GetBytes("groupId=org.example\nartifactId=a\nversion=2.0\n")), ("lib/b.jar", innermost));
        var war = ZipOf(("WEB-INF/lib/a.jar", middle));
        var layer = TestLayers.Append(TestLayers.Tar(), "srv/app.war", war);

        // Act
        var (components, _, skipped) = ImageInventory.Merge([("sha256:war", await Analyzer().AnalyzeAsync(new MemoryStream(layer)))]);

        // Assert
        Assert.Equal("org.example:a 2.0", $"{Assert.Single(components).Name} {components[0].Version}");
        var skip = Assert.Single(skipped);
        Assert.Equal(("srv/app.war!/WEB-INF/lib/a.jar!/lib/b.jar", "an archive nested two levels deep", "sha256:war"), (skip.Path, skip.Reason, skip.Layer));
    }

    private static byte[] ZipOf(params (string Name, byte[] Content)[] entries)
    {
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(content);
            }
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData("./a/b", "a/b")]
    [InlineData("/a//b/", "a/b")]
    [InlineData("a/./b", "a/b")]
    [InlineData("a/../b", null)]
    [InlineData("..", null)]
    [InlineData("./", null)]
    public void Normalize_EntryName_RootRelativeOrNull(string name, string? expected) =>
        Assert.Equal(expected, LayerAnalyzer.Normalize(name));

    private static byte[] OciTestRandom(int length) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);

    private static MemoryStream Plain(byte[] tar) => new(tar);

    private static MemoryStream Gzip(byte[] tar) => new(TestLayers.Gzip(tar));

    private static MemoryStream Zstd(byte[] tar) => new(TestLayers.Zstd(tar));

    private static byte[] Tar(params (string Name, string Content)[] files) => TestLayers.Tar(files);

    private static PaxTarEntry File(string name, string content) => TestLayers.File(name, content);

    private static byte[] Jar(params (string Name, string Content)[] entries) =>
        ZipOf(entries.Select(e => (e.Name, Encoding.UTF8.GetBytes(e.Content))).ToArray());
}
