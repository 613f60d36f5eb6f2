using System.Buffers.Binary;
using System.Text;
using Registry.Options;
using Registry.Scanning;
using Registry.Scanning.Parsers;
using Registry.Tests.Support;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Registry.Tests.Unit;

/// <summary>
/// RPM packages built here with Debian's <c>rpmbuild</c> (a package with a subpackage, so that a source package of
/// another name appears, with epochs), installed into an RPM database by <c>rpm --justdb</c>, and exported by
/// <c>rpmdb --exportdb</c>. The Berkeley DB <c>Packages</c> is made from those headers by Berkeley DB's own
/// <c>db5.3_load</c> and read back by <c>rpm</c> (its read-only Berkeley DB backend); the NDB <c>Packages.db</c> is laid
/// out by the test as RPM's rpmpkg.c writes it (Debian's rpm is built without NDB). Ground truth: <c>rpm -qa</c>.
/// </summary>
public sealed class RpmPackagesFixture : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("registry-rpm-").FullName;

    /// <summary>"name epoch:version-release source license" per package, as <c>rpm -qa</c> prints it.</summary>
    public IReadOnlyList<string> Expected { get; private set; } = [];

    public IReadOnlyList<byte[]> Headers { get; private set; } = [];

    public async Task InitializeAsync()
    {
        const string DemoSpec = "Name: demo\nEpoch: 1\nVersion: 2.4.1\nRelease: 3.el7\nSummary: demo\nLicense: MIT\nBuildArch: noarch\n%description\ndemo\n" +
                            "%package libs\nSummary: demo libraries\nLicense: BSD and MIT\n%description libs\nlibs\n%files\n%files libs\n";
        const string ToolSpec = "Name: tool\nVersion: 0.9\nRelease: 1.el7_9\nSummary: tool\nLicense: GPLv2+\nBuildArch: noarch\n%description\ntool\n%files\n";
        Tool.WriteFiles(Root, ("SPECS/demo.spec", DemoSpec), ("SPECS/tool.spec", ToolSpec));
        foreach (var spec in new[] { "SPECS/demo.spec", "SPECS/tool.spec" })
        {
            await Tool.RunAsync("rpmbuild", Root, null, "-bb", "--define", $"_topdir {Root}", spec);
        }

        var database = Path.Combine(Root, "sqlite");
        Directory.CreateDirectory(database);
        await Tool.RunAsync("rpm", Root, null, "--dbpath", database, "--initdb");
        await Tool.RunAsync("rpm", Root, null,
            [.. new[] { "-i", "--justdb", "--nodeps", "--noscripts", "--ignorearch", "--ignoreos", "--dbpath", database }, .. Directory.GetFiles(Path.Combine(Root, "RPMS", "noarch"))]);
        Expected = await QueryAsync(database, null);
        Headers = Split(await Tool.RunBytesAsync("rpmdb", Root, "--dbpath", database, "--exportdb"));
    }

    /// <summary>What <c>rpm -qa</c> lists from the database in <paramref name="directory"/>, with the backend given.</summary>
    public async Task<IReadOnlyList<string>> QueryAsync(string directory, string? backend)
    {
        var args = new List<string> { "-qa", "--dbpath", directory, "--qf", "%{NAME} %|EPOCH?{%{EPOCH}:}|%{VERSION}-%{RELEASE} %{SOURCERPM} %{LICENSE}\\n" };
        if (backend is not null)
        {
            args.InsertRange(0, ["--define", $"_db_backend {backend}"]);
        }

        var output = await Tool.RunAsync("rpm", Root, null, [.. args]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The headers of <c>rpmdb --exportdb</c>: each after the 8-byte header magic, index count and data length first.</summary>
    private static List<byte[]> Split(byte[] export)
    {
        var headers = new List<byte[]>();
        for (var at = 0; at < export.Length;)
        {
            Assert.True(export.AsSpan(at).StartsWith((ReadOnlySpan<byte>)[0x8e, 0xad, 0xe8, 0x01]), "header magic");
            at += 8;
            var length = 8 + (16 * BinaryPrimitives.ReadInt32BigEndian(export.AsSpan(at))) + BinaryPrimitives.ReadInt32BigEndian(export.AsSpan(at + 4));
            headers.Add(export[at..(at + length)]);
            at += length;
        }

        return headers;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>The Berkeley DB and NDB package databases of RHEL 7 and 8, CentOS 7, Amazon Linux 2 and SUSE, read from layers.</summary>
public sealed class RpmDatabaseFormatTests(RpmPackagesFixture packages) : IClassFixture<RpmPackagesFixture>
{
    [Theory]
    [InlineData(4096)]
    [InlineData(512)]
    public async Task Analyze_BerkeleyDbPackagesOfCentos7_PackagesAsRpmListsThem(int pageSize)
    {
        // Arrange: the hash database Berkeley DB's own loader makes, keyed by package index as RPM keys it
        var directory = Path.Combine(packages.Root, $"bdb{pageSize}");
        Directory.CreateDirectory(directory);
        var load = new StringBuilder($"VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize={pageSize}\nHEADER=END\n");
        for (var i = 0; i < packages.Headers.Count; i++)
        {
            load.Append(' ').Append(Convert.ToHexStringLower(BitConverter.GetBytes(i + 1))).Append("\n ").Append(Convert.ToHexStringLower(packages.Headers[i])).Append('\n');
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "load.txt"), load.Append("DATA=END\n").ToString());
        await Tool.RunAsync("db5.3_load", directory, null, "-f", "load.txt", "Packages");
        Assert.Equal(packages.Expected, await packages.QueryAsync(directory, "bdb_ro"));

        // Act
        var components = await AnalyzeAsync("var/lib/rpm/Packages", await File.ReadAllBytesAsync(Path.Combine(directory, "Packages")), "ID=\"centos\"\nVERSION_ID=\"7\"\n");

        // Assert
        Assert.Equal(packages.Expected, Listed(components));
        Assert.All(components, c => Assert.Equal("Red Hat:enterprise_linux:7", c.Ecosystem));
        Assert.Equal("demo", components.Single(c => c.Name == "demo-libs").SourceName);
    }

    [Fact]
    public async Task Analyze_NdbPackagesOfSuse_PackagesAsRpmListsThem()
    {
        // Act
        var components = await AnalyzeAsync("usr/lib/sysimage/rpm/Packages.db", Ndb(packages.Headers), "ID=\"sles\"\nVERSION_ID=\"15.5\"\n");

        // Assert
        Assert.Equal(packages.Expected, Listed(components));
    }

    private static async Task<IReadOnlyList<Component>> AnalyzeAsync(string path, byte[] database, string osRelease)
    {
        var layer = TestLayers.Append(TestLayers.Tar(("etc/os-release", osRelease)), path, database);
        var analyzer = new LayerAnalyzer([new RpmDatabaseParser()], MsOptions.Create(new ScanOptions()));
        var (components, _, skipped) = ImageInventory.Merge([("sha256:rpm", await analyzer.AnalyzeAsync(new MemoryStream(TestLayers.Gzip(layer))))]);
        Assert.Empty(skipped);
        return components;
    }

    /// <summary>Components as the fixture's query prints packages: the source RPM rebuilt from the source name.</summary>
    private static List<string> Listed(IReadOnlyList<Component> components) => components
        .Select(c => $"{c.Name} {c.Version} {c.SourceName}-{c.Version[(c.Version.IndexOf(':') + 1)..]}.src.rpm {c.License}")
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// An NDB Packages.db as rpmpkg.c lays it out: the 32-byte header (RpmP, version 0, generation, one slot page), 16-byte
    /// slots (Slot, package index, block offset, block count) to the end of the 4 KiB page, then per package a blob
    /// (BlbS, package index, checksum, length, the header) in 16-byte blocks.
    /// </summary>
    private static byte[] Ndb(IReadOnlyList<byte[]> headers)
    {
        var output = new MemoryStream();
        var page = new byte[4096];
        "RpmP"u8.CopyTo(page);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(12), 1);
        var blobs = new MemoryStream();
        for (var slot = 0; slot < (4096 - 32) / 16; slot++)
        {
            var at = 32 + (slot * 16);
            "Slot"u8.CopyTo(page.AsSpan(at));
            if (slot < headers.Count)
            {
                var offset = 4096 + blobs.Length;
                var blob = new byte[(16 + headers[slot].Length + 16 + 15) / 16 * 16];
                "BlbS"u8.CopyTo(blob);
                BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)slot + 1);
                BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), (uint)headers[slot].Length);
                headers[slot].CopyTo(blob, 16);
                blobs.Write(blob);
                BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(at + 4), (uint)slot + 1);
                BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(at + 8), (uint)(offset / 16));
                BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(at + 12), (uint)(blob.Length / 16));
            }
        }

        output.Write(page);
        output.Write(blobs.ToArray());
        return output.ToArray();
    }
}
