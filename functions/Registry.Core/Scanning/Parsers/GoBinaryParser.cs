using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Registry.Scanning.Parsers;

/// <summary>
/// Go executables: the build information the Go toolchain embeds after the magic <c>\xff Go buildinf:</c>, found
/// wherever it sits in the file, of any size, as the file streams past (only a window and the few strings the
/// information may point back to are held): the Go version (the standard library, OSV package <c>stdlib</c>), the
/// main module and every dependency module. Go 1.18 and later write the strings inline after the magic. Older
/// toolchains write two pointers to string headers; in an ELF file they are resolved through the program headers at
/// the file's start, and the strings they point back to are the ones kept as the stream passed them (the
/// candidates of the version, <c>go1.…</c>, and the module information, framed by its sentinels).
/// A Go executable whose information cannot be read is reported as skipped, with the reason.
/// </summary>
public sealed partial class GoBinaryParser : IPackageFileParser
{
    private static readonly byte[] Magic = Encoding.Latin1.GetBytes("\u00ff Go buildinf:");
    private static readonly byte[] VersionPrefix = "go1."u8.ToArray();

    /// <summary>The sentinels around the module information (cmd/go's <c>infoStart</c> and <c>infoEnd</c>).</summary>
    private static readonly byte[] InfoStart = Convert.FromHexString("3077af0c9274080241e1c107e6d618e6");
    private static readonly byte[] InfoEnd = Convert.FromHexString("f932433186182072008242104116d8f2");

    private const int HeaderLength = 32;
    private const int MaxInfoLength = 1024 * 1024;
    private const int MaxVersionLength = 64;
    private const int MaxVersionCandidates = 10_000;
    private const int MaxInfoCandidates = 16;
    private const int FlagBigEndian = 0x1, FlagInlineStrings = 0x2;
    public const string Devel = "(devel)";

    /// <summary>No cap: the file is read as a stream and only a window of it is held.</summary>
    public long MaxBytes => long.MaxValue;

    public bool Matches(string path, bool executable) => executable;

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        var result = await ReadBuildInfoAsync(content, cancellationToken);
        if (result.Skip is { } reason)
        {
            skipped.Add(new ScanSkip(path, reason));
        }

        return result.Version is { } version ? Parse(path, version, result.ModInfo ?? "") : [];
    }

    private readonly record struct BuildInfo(string? Version, string? ModInfo, string? Skip);

    private static async Task<BuildInfo> ReadBuildInfoAsync(Stream content, CancellationToken cancellationToken)
    {
        var scanner = new ForwardScanner(content);
        Capture? header = null;
        var versions = new Dictionary<long, Capture>();
        var infos = new Dictionary<long, Capture>();
        // The header is 16-byte aligned; the magic may also appear as a constant (in a program that reads build
        // information itself), which the bytes after it tell apart: a later occurrence replaces one found invalid.
        scanner.Watch(Magic, at =>
        {
            if (at % 16 == 0 && (header is null || (header.Filled >= HeaderLength && !IsHeader(header))))
            {
                header = scanner.Capture(at, HeaderLength + MaxInfoLength);
            }

            return true;
        });

        // The strings an old header points to lie before it: candidates are kept until the header.
        bool BeforeHeader(long at) => header is null || at < header.Start;
        scanner.Watch(VersionPrefix, at =>
        {
            if (BeforeHeader(at) && versions.Count < MaxVersionCandidates)
            {
                versions[at] = scanner.Capture(at, MaxVersionLength);
            }

            return true;
        });
        scanner.Watch(InfoStart, at =>
        {
            if (BeforeHeader(at) && infos.Count < MaxInfoCandidates)
            {
                infos[at] = scanner.Capture(at, MaxInfoLength, InfoEnd);
            }

            return true;
        });

        if (!await scanner.ReadAsync(cancellationToken) || !IsExecutable(scanner.Head))
        {
            return default;
        }

        var goNote = Elf.HasGoNote(scanner.Head);
        while (header is not { Filled: >= HeaderLength } || !IsHeader(header) || (IsInline(header) && !header.Done && DecodeInline(header) is null))
        {
            if (!await scanner.ReadAsync(cancellationToken))
            {
                break;
            }
        }

        if (header is not { Filled: >= HeaderLength } || !IsHeader(header))
        {
            return goNote ? new BuildInfo(null, null, "a Go executable without build information") : default;
        }

        if (IsInline(header))
        {
            return DecodeInline(header) is { } inline ? new BuildInfo(inline.Version, inline.ModInfo, null) : Damaged;
        }

        return await ReadPointedAsync(scanner, header, versions, infos, cancellationToken);
    }

    private static readonly BuildInfo Damaged = new(null, null, "the Go build information is damaged");

    private static bool IsInline(Capture header) => (header.Data[15] & FlagInlineStrings) != 0;

    /// <summary>Whether the bytes after the magic are a header's: a pointer size of 4 or 8, and only the flags Go sets.</summary>
    private static bool IsHeader(Capture header) => header.Data[14] is 4 or 8 && (header.Data[15] & ~(FlagBigEndian | FlagInlineStrings)) == 0;

    /// <summary>
    /// Go before 1.18: the header holds the addresses of two string headers (the version's and the module
    /// information's), each an address and a length of the bytes.
    /// </summary>
    private static async Task<BuildInfo> ReadPointedAsync(
        ForwardScanner scanner, Capture header, Dictionary<long, Capture> versions, Dictionary<long, Capture> infos, CancellationToken cancellationToken)
    {
        var pointerSize = header.Data[14];
        var bigEndian = (header.Data[15] & FlagBigEndian) != 0;
        if (Elf.ReadSegments(scanner.Head) is not { } segments)
        {
            return new BuildInfo(null, null, "Go build information of a toolchain before 1.18 is read from ELF executables only");
        }

        ulong Word(byte[] data, int at) => pointerSize == 8
            ? (bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at)))
            : (bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)));

        // The two string headers, then the bytes they point to.
        var stringHeaders = new List<Capture>();
        foreach (var address in new[] { Word(header.Data, 16), Word(header.Data, 16 + pointerSize) })
        {
            if (Elf.FileOffset(segments, address) is not { } offset)
            {
                return Unresolved;
            }

            stringHeaders.Add(scanner.Capture(offset, 2 * pointerSize));
        }

        if (!await scanner.ReadUntilAsync(stringHeaders, cancellationToken))
        {
            return Unresolved;
        }

        var strings = new List<(Capture? Capture, int Length)>();
        foreach (var (stringHeader, candidates) in stringHeaders.Zip([versions, infos]))
        {
            var length = Word(stringHeader.Data, pointerSize);
            if (length == 0)
            {
                strings.Add((null, 0));   // no module information: a build outside module mode
                continue;
            }

            if (length > MaxInfoLength || Elf.FileOffset(segments, Word(stringHeader.Data, 0)) is not { } offset)
            {
                return Unresolved;
            }

            // A string the stream has passed is one of the candidates kept; one ahead is captured as it comes.
            var bytes = candidates.TryGetValue(offset, out var kept) && ((ulong)kept.Filled >= length || !kept.Done) ? kept : scanner.Capture(offset, (int)length);
            strings.Add((bytes, (int)length));
        }

        var pending = strings.Select(s => s.Capture).OfType<Capture>();
        if (!await scanner.ReadUntilAsync(pending, cancellationToken) && pending.Any(c => c.Filled < strings.First(s => s.Capture == c).Length))
        {
            return Unresolved;
        }

        string Text((Capture? Capture, int Length) s) => s.Capture is null ? "" : Encoding.UTF8.GetString(s.Capture.Data, 0, s.Length);
        return Text(strings[0]) is { Length: > 0 } version ? new BuildInfo(version, Text(strings[1]), null) : Unresolved;
    }

    private static readonly BuildInfo Unresolved = new(null, null, "the Go build information (before Go 1.18) points to strings that could not be resolved");

    /// <summary>Go 1.18 and later: two varint-prefixed strings after the 32-byte header; null while they are not all there.</summary>
    private static (string Version, string ModInfo)? DecodeInline(Capture header)
    {
        var rest = header.Data.AsSpan(HeaderLength, Math.Max(0, header.Filled - HeaderLength));
        return ReadString(ref rest) is { } version && ReadString(ref rest) is { } modInfo ? (version, modInfo) : null;
    }

    private static string? ReadString(ref Span<byte> data)
    {
        ulong length = 0;
        var shift = 0;
        var i = 0;
        while (true)
        {
            if (i >= data.Length || shift > 35)
            {
                return null;
            }

            var b = data[i++];
            length |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                break;
            }

            shift += 7;
        }

        if (length > (ulong)(data.Length - i))
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(data.Slice(i, (int)length));
        data = data[(i + (int)length)..];
        return text;
    }

    /// <summary>ELF, Mach-O and PE executables only: a quick look at the first bytes spares reading other files.</summary>
    private static bool IsExecutable(ReadOnlySpan<byte> head) =>
        head is [0x7f, (byte)'E', (byte)'L', (byte)'F', ..] or [(byte)'M', (byte)'Z', ..] or [0xcf or 0xce, 0xfa, 0xed, 0xfe, ..];

    /// <summary>
    /// Reads modinfo lines as Go writes them: <c>path</c>, <c>mod</c> (the main module), <c>dep</c> and <c>=&gt;</c>
    /// (a replacement of the line before). A replacement by another module names what was built; a replacement by a
    /// directory keeps the module path and version it replaces. Modules at <c>(devel)</c> are kept (they are
    /// not matched against advisories).
    /// </summary>
    internal static IReadOnlyList<Component> Parse(string path, string goVersion, string modInfo)
    {
        // The module information is framed by 16-byte sentinels.
        if (modInfo.Length >= 33 && modInfo[^17] == '\n')
        {
            modInfo = modInfo[16..^16];
        }

        var components = new List<Component>();
        if (StdlibVersion(goVersion) is { } stdlib)
        {
            components.Add(new Component("go", "stdlib", stdlib, "Go", path));
        }

        var replaceable = false;
        foreach (var line in modInfo.Split('\n'))
        {
            switch (line.Split('\t'))
            {
                case ["mod" or "dep", var module, var version, ..] when module.Length > 0:
                    components.Add(new Component("go", module, version.Length > 0 ? version : Devel, "Go", path));
                    replaceable = true;
                    continue;
                case ["=>", var module, var version, ..] when replaceable && !IsDirectory(module, version):
                    components[^1] = components[^1] with { Name = module, Version = version };
                    break;
            }

            replaceable = false;
        }

        return components;
    }

    /// <summary>
    /// A replacement by a directory rather than a module: Go writes it without a version or at <c>(devel)</c>, under
    /// the path given (<c>./x</c>, <c>../x</c>, <c>/x</c>) or, in a workspace, relative to it (<c>x</c>).
    /// </summary>
    private static bool IsDirectory(string module, string version) =>
        version is "" or Devel || module.StartsWith('.') || module.StartsWith('/') || (module.Length > 1 && module[1] == ':');

    /// <summary>
    /// The standard library's version as advisories name it, from the toolchain's string: <c>go1.23.1</c>,
    /// <c>go1.23.1 X:nocoverageredesign</c>, <c>go1.25-20250209-RC00 cl/… X:…</c> (a vendor build of 1.25.0) and
    /// <c>go1.21rc2</c> give <c>v1.23.1</c>, <c>v1.23.1</c>, <c>v1.25.0</c>, <c>v1.21.0-rc.2</c>; a development
    /// toolchain gives <c>(devel)</c>; null when there is no version.
    /// </summary>
    internal static string? StdlibVersion(string toolchain)
    {
        if (GoVersionPattern().Match(toolchain) is not { Success: true } m)
        {
            return toolchain.StartsWith("devel", StringComparison.Ordinal) ? Devel : null;
        }

        var patch = m.Groups["patch"].Success ? m.Groups["patch"].Value : "0";
        var pre = m.Groups["pre"].Success ? $"-{m.Groups["pre"].Value}.{m.Groups["n"].Value}" : "";
        return $"v{m.Groups["major"].Value}.{m.Groups["minor"].Value}.{patch}{pre}";
    }

    [GeneratedRegex(@"^go(?<major>\d+)\.(?<minor>\d+)(?:\.(?<patch>\d+))?(?:(?<pre>rc|beta)(?<n>\d+))?(?:$|[^0-9.])")]
    private static partial Regex GoVersionPattern();

    /// <summary>What the ELF header and program headers at a file's start tell: its loaded segments and whether it is Go.</summary>
    private static class Elf
    {
        private const int LoadSegment = 1, GoBuildIdNote = 4;

        public readonly record struct Segment(ulong Address, ulong Offset, ulong Size);

        /// <summary>The file's loaded segments (address, file offset, size in the file); null when the header is not ELF or not in the head.</summary>
        public static IReadOnlyList<Segment>? ReadSegments(ReadOnlySpan<byte> head)
        {
            if (head is not [0x7f, (byte)'E', (byte)'L', (byte)'F', 1 or 2, 1 or 2, ..] || head.Length < 64)
            {
                return null;
            }

            var wide = head[4] == 2;
            var big = head[5] == 2;
            var phoff = wide ? U64(head, 0x20, big) : U32(head, 0x1c, big);
            var entrySize = U16(head, wide ? 0x36 : 0x2a, big);
            var count = U16(head, wide ? 0x38 : 0x2c, big);
            if (entrySize < (wide ? 56 : 32) || phoff + ((ulong)entrySize * count) > (ulong)head.Length)
            {
                return null;
            }

            var segments = new List<Segment>();
            for (var i = 0; i < count; i++)
            {
                var at = (int)phoff + (i * entrySize);
                if (U32(head, at, big) == LoadSegment)
                {
                    segments.Add(wide
                        ? new Segment(U64(head, at + 16, big), U64(head, at + 8, big), U64(head, at + 32, big))
                        : new Segment(U32(head, at + 8, big), U32(head, at + 4, big), U32(head, at + 16, big)));
                }
            }

            return segments;
        }

        public static long? FileOffset(IReadOnlyList<Segment> segments, ulong address)
        {
            foreach (var s in segments)
            {
                if (address >= s.Address && address - s.Address < s.Size)
                {
                    return (long)(s.Offset + (address - s.Address));
                }
            }

            return null;
        }

        /// <summary>Whether the head holds the Go linker's build ID note (name <c>Go</c>, type 4), which it puts first.</summary>
        public static bool HasGoNote(ReadOnlySpan<byte> head)
        {
            if (head is not [0x7f, (byte)'E', (byte)'L', (byte)'F', _, 1 or 2, ..])
            {
                return false;
            }

            var big = head[5] == 2;
            var name = "Go\0\0"u8;
            for (var from = 0; from < head.Length && head[from..].IndexOf(name) is var i and >= 0; from += i + 1)
            {
                var at = from + i;
                if (at >= 12 && U32(head, at - 12, big) == 4 && U32(head, at - 4, big) == GoBuildIdNote)
                {
                    return true;
                }
            }

            return false;
        }

        private static ushort U16(ReadOnlySpan<byte> b, int at, bool big) =>
            big ? BinaryPrimitives.ReadUInt16BigEndian(b[at..]) : BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);

        private static uint U32(ReadOnlySpan<byte> b, int at, bool big) =>
            big ? BinaryPrimitives.ReadUInt32BigEndian(b[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);

        private static ulong U64(ReadOnlySpan<byte> b, int at, bool big) =>
            big ? BinaryPrimitives.ReadUInt64BigEndian(b[at..]) : BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
    }
}
