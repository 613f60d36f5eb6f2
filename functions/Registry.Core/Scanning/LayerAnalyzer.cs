using System.Formats.Tar;
using System.IO.Pipelines;
using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Scanning.Parsers;

namespace Registry.Scanning;

/// <summary>
/// Reads one layer as a stream (gzip, zstd or plain tar, told apart by their first bytes) and records its package
/// files, its os-release and its whiteouts. Nothing is written to disk and no link is followed: symbolic and hard
/// links, devices and directories are only names. Hostile layers are bounded: a path with <c>..</c> is ignored, a
/// file larger than its parser reads or that its parser cannot read is recorded as skipped with the reason (and
/// hides the same path below), and a layer that expands beyond <see cref="ScanOptions.MaxLayerBytes"/> or holds
/// more than <see cref="ScanOptions.MaxEntries"/> entries, or is not a tar archive, is refused.
/// </summary>
public sealed class LayerAnalyzer(IEnumerable<IPackageFileParser> parsers, IOptions<ScanOptions> options)
{
    /// <summary>The analyzer's version, kept with each analysis: raise it when a parser reads more than before.</summary>
    public const int Version = 2;

    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const int BufferSize = 1024 * 1024;

    private readonly IReadOnlyList<IPackageFileParser> _parsers = parsers.ToList();
    private readonly ScanOptions _options = options.Value;

    /// <summary>Most bytes read ahead from storage while the layer is decompressed and read (I/O and CPU overlap).</summary>
    private const long ReadAhead = 16 * 1024 * 1024;

    public async Task<LayerAnalysis> AnalyzeAsync(Stream layer, CancellationToken cancellationToken = default)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: ReadAhead, resumeWriterThreshold: ReadAhead / 2, minimumSegmentSize: 256 * 1024));
        var pump = PumpAsync(layer, pipe.Writer, cancellationToken);
        try
        {
            return await AnalyzeTarAsync(pipe.Reader.AsStream(), cancellationToken);
        }
        finally
        {
            await pipe.Reader.CompleteAsync();
            await pump;
        }
    }

    /// <summary>Copies the layer into the pipe; a read error reaches the reader as the pipe's error.</summary>
    private static async Task PumpAsync(Stream source, PipeWriter writer, CancellationToken cancellationToken)
    {
        try
        {
            await source.CopyToAsync(writer, cancellationToken);
            await writer.CompleteAsync();
        }
        catch (Exception e)
        {
            await writer.CompleteAsync(e);
        }
    }

    private async Task<LayerAnalysis> AnalyzeTarAsync(Stream layer, CancellationToken cancellationToken)
    {
        await using var tar = await OpenAsync(layer, cancellationToken);
        var reader = new TarReader(tar, leaveOpen: true);
        var files = new List<PackageFile>();
        var whiteouts = new List<string>();
        var opaque = new List<string>();
        OsRelease? osRelease = null;
        string? osReleasePath = null;
        var entries = 0L;
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (++entries > _options.MaxEntries)
                {
                    throw new LayerRefusedException($"the layer holds more than {_options.MaxEntries} entries");
                }

                if (Normalize(entry.Name) is not { } path)
                {
                    continue;   // absolute escapes and '..' are not part of any image's filesystem
                }

                var name = path[(path.LastIndexOf('/') + 1)..];
                var directory = path.Length > name.Length ? path[..(path.Length - name.Length - 1)] : "";
                if (name == OpaqueMarker)
                {
                    opaque.Add(directory);
                    continue;
                }

                if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
                {
                    whiteouts.Add(directory.Length == 0 ? name[WhiteoutPrefix.Length..] : $"{directory}/{name[WhiteoutPrefix.Length..]}");
                    continue;
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile) || entry.DataStream is null)
                {
                    continue;
                }

                if (OsReleaseParser.Matches(path) && entry.Length <= 64 * 1024)
                {
                    // etc/os-release wins over usr/lib/os-release within a layer.
                    if (osReleasePath != "etc/os-release" && await OsReleaseParser.ParseAsync(entry.DataStream, cancellationToken) is { } release)
                    {
                        (osRelease, osReleasePath) = (release, path);
                    }

                    continue;
                }

                var executable = (entry.Mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
                var parser = _parsers.FirstOrDefault(p => p.Matches(path, executable));
                if (parser is null)
                {
                    continue;
                }

                if (entry.Length > parser.MaxBytes)
                {
                    // Too large to read, but it still replaces what a lower layer had here.
                    files.Add(new PackageFile(path, [], [new ScanSkip(path, $"larger than {parser.MaxBytes} bytes, the most read of such a file")]));
                    continue;
                }

                var skipped = new List<ScanSkip>();
                var components = await ParseAsync(parser, path, entry.DataStream, skipped, cancellationToken);
                files.Add(new PackageFile(path, components, skipped.Count > 0 ? skipped : null));
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ZstdSharp.ZstdException)
        {
            throw new LayerRefusedException("the layer is not a readable tar archive (gzip, zstd or plain)");
        }

        return new LayerAnalysis(files, whiteouts, opaque, osRelease, osReleasePath, Version);
    }

    private static async Task<IReadOnlyList<Component>> ParseAsync(
        IPackageFileParser parser, string path, Stream content, List<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        try
        {
            return await parser.ParseAsync(path, content, skipped, cancellationToken);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or DecoderFallbackException or FormatException)
        {
            // A damaged package file records nothing but the reason; the layer goes on.
            skipped.Add(new ScanSkip(path, $"not readable: {(e.Message.Length > 200 ? e.Message[..200] : e.Message)}"));
            return [];
        }
    }

    /// <summary>A layer's tar stream: decompressed by its magic bytes, and counted against MaxLayerBytes.</summary>
    private async Task<Stream> OpenAsync(Stream layer, CancellationToken cancellationToken)
    {
        var head = new byte[4];
        var read = await layer.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        // Large reads from storage and large reads of the tar: the tar reader skips file data in small steps.
        Stream raw = new BufferedStream(new PrefixedStream(head.AsMemory(0, read), layer), BufferSize);
        Stream decompressed = head switch
        {
            [0x1f, 0x8b, ..] => new GZipStream(raw, CompressionMode.Decompress),
            [0x28, 0xb5, 0x2f, 0xfd] => new ZstdSharp.DecompressionStream(raw),
            _ => raw,
        };
        return new BufferedStream(new LimitedStream(decompressed, _options.MaxLayerBytes,
            () => new LayerRefusedException($"the layer expands to more than {_options.MaxLayerBytes} bytes")), BufferSize);
    }

    /// <summary>The path of an entry relative to the root, or null when it leaves the root.</summary>
    internal static string? Normalize(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                return null;
            }

            parts.Add(part);
        }

        return parts.Count == 0 || name.Length > 4096 ? null : string.Join('/', parts);
    }
}
