using System.Buffers.Binary;
using System.Formats.Tar;
using System.Text;
using Registry.Options;
using Registry.Scanning;
using Registry.Scanning.Parsers;
using Registry.Tests.Support;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Registry.Tests.Unit;

/// <summary>
/// Go programs built here by Debian's Go toolchain, offline, in a workspace: a main module that replaces a
/// dependency by a directory, a workspace module (a dependency at <c>(devel)</c>), a toolchain string with an
/// experiment suffix, a program padded above 256 MiB by an embedded file, and one that reads build information
/// itself (so the magic is among its constants). Built once for the class.
/// </summary>
public sealed class GoProgramsFixture : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("registry-go-").FullName;

    public string Small => Path.Combine(Root, "small");

    public string Big => Path.Combine(Root, "big");

    /// <summary>A program that reads build information itself: the magic is in its read-only data too.</summary>
    public string Reader => Path.Combine(Root, "reader");

    public async Task InitializeAsync()
    {
        Tool.WriteFiles(Root,
            ("go.work", "go 1.19\n\nuse (\n\t./app\n\t./wslib\n)\n"),
            ("app/go.mod", "module example.com/app\n\ngo 1.19\n\nrequire example.com/lib v1.2.3\n\nreplace example.com/lib v1.2.3 => ../lib\n"),
            ("app/cmd/small/main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib\"\n\t\"example.com/wslib\"\n)\n\nfunc main() { fmt.Println(lib.Name(), wslib.Name()) }\n"),
            ("app/cmd/reader/main.go", "package main\n\nimport (\n\t\"debug/buildinfo\"\n\t\"fmt\"\n\t\"os\"\n\n\t\"example.com/lib\"\n)\n\n" +
                "func main() { info, err := buildinfo.ReadFile(os.Args[0]); fmt.Println(lib.Name(), info, err) }\n"),
            ("app/cmd/big/main.go", "package main\n\nimport (\n\t_ \"embed\"\n\t\"fmt\"\n\n\t\"example.com/lib\"\n)\n\n//go:embed pad.bin\nvar pad string\n\nfunc main() { fmt.Println(lib.Name(), len(pad)) }\n"),
            ("lib/go.mod", "module example.com/lib\n\ngo 1.19\n"),
            ("lib/lib.go", "package lib\n\nfunc Name() string { return \"lib\" }\n"),
            ("wslib/go.mod", "module example.com/wslib\n\ngo 1.19\n"),
            ("wslib/wslib.go", "package wslib\n\nfunc Name() string { return \"wslib\" }\n"));

        // 300 MiB of read-only data before the build information: beyond what the scanner once read of a binary.
        await using (var pad = File.Create(Path.Combine(Root, "app/cmd/big/pad.bin")))
        {
            pad.SetLength(300L * 1024 * 1024);
        }

        await GoToolchain.RunAsync(Root, new Dictionary<string, string> { ["GOEXPERIMENT"] = "fieldtrack" }, "build", "-o", Small, "./app/cmd/small");
        await GoToolchain.RunAsync(Root, null, "build", "-o", Big, "./app/cmd/big");
        await GoToolchain.RunAsync(Root, null, "build", "-o", Reader, "./app/cmd/reader");
        File.Delete(Path.Combine(Root, "app/cmd/big/pad.bin"));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Go build information read by the layer analyzer from binaries the Go toolchain built, compared module by module
/// with <c>go version -m</c>; Go before 1.18 from a binary made to the documented layout (read by <c>go version -m</c>
/// too); toolchain strings; and a Go binary whose information is gone, reported as skipped.
/// </summary>
public sealed class GoBinaryTests(GoProgramsFixture programs) : IClassFixture<GoProgramsFixture>
{
    private static LayerAnalyzer Analyzer() => new([new GoBinaryParser()], MsOptions.Create(new ScanOptions()));

    [Fact]
    public async Task Analyze_BuiltWithReplacementAndWorkspace_ModulesAsGoVersionPrintsThem()
    {
        // Arrange
        var (toolchain, expected) = await GoToolchain.VersionAsync(programs.Small);

        // Act
        var (components, skipped) = await AnalyzeAsync(programs.Small);

        // Assert: the toolchain carries its experiment; the directory replacement keeps example.com/lib v1.2.3
        Assert.StartsWith("go1.19", toolchain, StringComparison.Ordinal);
        Assert.Contains(" X:fieldtrack", toolchain, StringComparison.Ordinal);
        Assert.Equal(
            expected.Select(m => $"{m.Module} {m.Version}").Prepend($"stdlib v{toolchain[2..].Split(' ')[0]}").Order(StringComparer.Ordinal),
            components.Select(c => $"{c.Name} {c.Version}").Order(StringComparer.Ordinal));
        Assert.Contains(components, c => c is { Name: "example.com/lib", Version: "v1.2.3" });
        Assert.Contains(components, c => c is { Name: "example.com/wslib", Version: "(devel)" });
        Assert.Empty(skipped);
    }

    [Fact]
    public async Task Analyze_BinaryAbove256MiB_BuildInformationFoundWhereItSits()
    {
        // Arrange: where the build information is, found here without the parser
        var (toolchain, expected) = await GoToolchain.VersionAsync(programs.Big);
        var at = await OffsetOfAsync(programs.Big, Encoding.Latin1.GetBytes("\u00ff Go buildinf:"));

        // Act
        var (components, skipped) = await AnalyzeAsync(programs.Big);

        // Assert
        Assert.True(new FileInfo(programs.Big).Length > 256L * 1024 * 1024 && at > 256L * 1024 * 1024, $"build information at {at}");
        Assert.Equal(
            expected.Select(m => $"{m.Module} {m.Version}").Prepend($"stdlib v{toolchain[2..].Split(' ')[0]}").Order(StringComparer.Ordinal),
            components.Select(c => $"{c.Name} {c.Version}").Order(StringComparer.Ordinal));
        Assert.Empty(skipped);
    }

    [Fact]
    public async Task Analyze_ProgramHoldingTheMagicAsAConstant_ItsOwnBuildInformation()
    {
        // Arrange
        var (toolchain, expected) = await GoToolchain.VersionAsync(programs.Reader);
        var bytes = await File.ReadAllBytesAsync(programs.Reader);
        var magic = Encoding.Latin1.GetBytes("\u00ff Go buildinf:");

        // Act
        var (components, skipped) = await AnalyzeAsync(programs.Reader);

        // Assert: the magic appears more than once, and the header is the one read
        Assert.True(bytes.AsSpan().IndexOf(magic) != bytes.AsSpan().LastIndexOf(magic), "the magic appears once only");
        Assert.Equal(
            expected.Select(m => $"{m.Module} {m.Version}").Prepend($"stdlib v{toolchain[2..].Split(' ')[0]}").Order(StringComparer.Ordinal),
            components.Select(c => $"{c.Name} {c.Version}").Order(StringComparer.Ordinal));
        Assert.Empty(skipped);
    }

    [Fact]
    public async Task Analyze_BuildInformationRemoved_ReportedAsSkipped()
    {
        // Arrange: the small program with its magic overwritten
        var bytes = await File.ReadAllBytesAsync(programs.Small);
        var at = bytes.AsSpan().IndexOf(Encoding.Latin1.GetBytes("\u00ff Go buildinf:"));
        Array.Clear(bytes, at, 14);
        var stripped = Path.Combine(programs.Root, "stripped");
        await File.WriteAllBytesAsync(stripped, bytes);

        // Act
        var (components, skipped) = await AnalyzeAsync(stripped);

        // Assert
        Assert.Empty(components);
        var skip = Assert.Single(skipped);
        Assert.Equal(("usr/local/bin/stripped", "a Go executable without build information", "sha256:go"), (skip.Path, skip.Reason, skip.Layer));
    }

    [Fact]
    public async Task Analyze_Go116LayoutBehindPointers_ModulesAsGoVersionPrintsThem()
    {
        // Arrange: a binary as Go 1.16 lays it out, whose strings lie megabytes before the header that points to them
        var legacy = Path.Combine(programs.Root, "legacy");
        await File.WriteAllBytesAsync(legacy, LegacyBinary("go1.16.15",
            "path\texample.com/legacy\nmod\texample.com/legacy\t(devel)\t\n" +
            "dep\tgithub.com/pkg/errors\tv0.9.1\th1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\n" +
            "dep\tgolang.org/x/text\tv0.3.5\th1:i6eZZ+zk0SOf0xgBpEpPD18qWcJda6q1sxt3S0kzyUQ=\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(legacy, (UnixFileMode)0b111_101_101);   // go version reads executables only
        }

        var (toolchain, expected) = await GoToolchain.VersionAsync(legacy);

        // Act
        var (components, skipped) = await AnalyzeAsync(legacy);

        // Assert
        Assert.Equal("go1.16.15", toolchain);
        Assert.Equal(3, expected.Count);
        Assert.Equal(
            expected.Select(m => $"{m.Module} {m.Version}").Prepend("stdlib v1.16.15").Order(StringComparer.Ordinal),
            components.Select(c => $"{c.Name} {c.Version}").Order(StringComparer.Ordinal));
        Assert.Empty(skipped);
    }

    [Theory]
    [InlineData("go1.23.1", "v1.23.1")]
    [InlineData("go1.23.1 X:nocoverageredesign", "v1.23.1")]
    [InlineData("go1.25-20250209-RC00 cl/726712735 +1c3a1c6d22 X:fieldtrack,boringcrypto", "v1.25.0")]
    [InlineData("go1.21rc2", "v1.21.0-rc.2")]
    [InlineData("go1.20", "v1.20.0")]
    [InlineData("devel go1.24-9a3c5b2 Mon Jan 1 00:00:00 2024 +0000", "(devel)")]
    [InlineData("gccgo", null)]
    public void StdlibVersion_ToolchainStrings_VersionAdvisoriesName(string toolchain, string? expected)
    {
        // Act and assert
        Assert.Equal(expected, GoBinaryParser.StdlibVersion(toolchain));
    }

    [Fact]
    public void Parse_ModuleAndDirectoryReplacements_ReplacedOrKept()
    {
        // Arrange: as Go writes them, blank line after a replacement included
        const string modInfo = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n" +
                               "dep\tgithub.com/old/dep\tv1.0.0\n=>\tgithub.com/new/dep\tv1.1.0\th1:x=\n\n" +
                               "dep\texample.com/local\tv0.2.0\n=>\t../local\t\t\n\n" +
                               "dep\texample.com/ws\tv0.3.0\n=>\tws\t(devel)\t\n\n" +
                               "dep\tgolang.org/x/sys\tv0.1.0\th1:y=\nbuild\tCGO_ENABLED=0\n";

        // Act
        var components = GoBinaryParser.Parse("app", "go1.22.3", modInfo);

        // Assert
        Assert.Equal(new[]
        {
            "stdlib v1.22.3", "example.com/app (devel)", "github.com/new/dep v1.1.0", "example.com/local v0.2.0", "example.com/ws v0.3.0",
            "golang.org/x/sys v0.1.0",
        }, components.Select(c => $"{c.Name} {c.Version}"));
    }

    private static async Task<(IReadOnlyList<Component> Components, IReadOnlyList<ScanSkip> Skipped)> AnalyzeAsync(string binary)
    {
        // The layer streams from a file: the binary may be larger than anyone would hold in memory.
        var layer = Path.Combine(Path.GetDirectoryName(binary)!, Path.GetFileName(binary) + ".tar");
        await using (var output = File.Create(layer))
        await using (var writer = new TarWriter(output, TarEntryFormat.Pax))
        {
            await using var content = File.OpenRead(binary);
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "usr/local/bin/" + Path.GetFileName(binary))
            {
                DataStream = content,
                Mode = (UnixFileMode)0b111_101_101,
            });
        }

        try
        {
            await using var stream = File.OpenRead(layer);
            var analysis = await Analyzer().AnalyzeAsync(stream);
            var (components, _, skipped) = ImageInventory.Merge([("sha256:go", analysis)]);
            return (components, skipped);
        }
        finally
        {
            File.Delete(layer);
        }
    }

    private static async Task<long> OffsetOfAsync(string file, byte[] pattern)
    {
        var bytes = await File.ReadAllBytesAsync(file);
        return bytes.AsSpan().IndexOf(pattern);
    }

    /// <summary>
    /// An ELF64 executable laid out as Go 1.16 writes one: a read-only segment (the version string, the module
    /// information between its sentinels, and decoys of both), 3 MiB of it, then the writable segment, whose start holds
    /// the build information header (pointer size 8, little-endian, no inline strings) with the addresses of two
    /// string headers that follow it, each the address and length of the bytes in the read-only segment.
    /// </summary>
    private static byte[] LegacyBinary(string version, string modInfo)
    {
        const ulong TextAddress = 0x400000, DataOffset = 0x301000, DataAddress = 0x701000;
        var start = Convert.FromHexString("3077af0c9274080241e1c107e6d618e6");
        var end = Convert.FromHexString("f932433186182072008242104116d8f2");
        var file = new byte[DataOffset + 0x1000];
        var text = new MemoryStream();
        text.Write("runtime: go1.12 or later is required\0"u8);
        text.Write(start);
        text.Write("path\texample.com/decoy\nmod\texample.com/decoy\tv9.9.9\t\n"u8);
        text.Write(end);
        var versionAt = 0x1000 + (ulong)text.Length;
        text.Write(Encoding.ASCII.GetBytes(version));
        var modAt = 0x1000 + (ulong)text.Length;
        var mod = start.Concat(Encoding.UTF8.GetBytes(modInfo)).Concat(end).ToArray();
        text.Write(mod);
        text.Write("go1.15.0 is not this one"u8);
        text.ToArray().CopyTo(file, 0x1000);

        // ELF header and two PT_LOAD program headers.
        var span = file.AsSpan();
        "\u007fELF"u8.CopyTo(span);
        (span[4], span[5], span[6]) = (2, 1, 1);
        BinaryPrimitives.WriteUInt16LittleEndian(span[16..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], 0x3e);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], TextAddress + 0x1000);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(span[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(span[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(span[56..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(span[58..], 64);
        Segment(span[64..], 5, 0, TextAddress, DataOffset);
        Segment(span[120..], 6, DataOffset, DataAddress, 0x1000);

        // The build information header, then the two string headers.
        var data = span[(int)DataOffset..];
        Encoding.Latin1.GetBytes("\u00ff Go buildinf:").CopyTo(data);
        (data[14], data[15]) = (8, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(data[16..], DataAddress + 32);
        BinaryPrimitives.WriteUInt64LittleEndian(data[24..], DataAddress + 48);
        BinaryPrimitives.WriteUInt64LittleEndian(data[32..], TextAddress + versionAt);
        BinaryPrimitives.WriteUInt64LittleEndian(data[40..], (ulong)version.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(data[48..], TextAddress + modAt);
        BinaryPrimitives.WriteUInt64LittleEndian(data[56..], (ulong)mod.Length);
        return file;
    }

    /// <summary>An ELF64 PT_LOAD program header (little-endian).</summary>
    private static void Segment(Span<byte> header, uint flags, ulong offset, ulong address, ulong size)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(header[16..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(header[40..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(header[48..], 0x1000);
    }
}
