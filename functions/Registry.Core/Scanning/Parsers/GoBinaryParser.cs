using System.Buffers;
using System.Text;

namespace Registry.Scanning.Parsers;

/// <summary>
/// Go executables: the build information the Go toolchain (1.18 and later) embeds after the magic
/// <c>\xff Go buildinf:</c>, read as a stream (only a sliding window is held): the Go version (the standard
/// library, OSV package <c>stdlib</c>), the main module and every dependency module (<c>dep</c>, with <c>=&gt;</c>
/// replacements). Older binaries keep the information behind pointers and are not read.
/// </summary>
public sealed class GoBinaryParser : IPackageFileParser
{
    private static readonly byte[] Magic = Encoding.Latin1.GetBytes("\u00ff Go buildinf:");
    private const int HeaderLength = 32;
    private const int MaxInfoLength = 1024 * 1024;
    private const int FlagInlineStrings = 0x2;

    public long MaxBytes => 256L * 1024 * 1024;

    public bool Matches(string path, bool executable) => executable;

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        var info = await FindBuildInfoAsync(content, cancellationToken);
        return info is null ? [] : Parse(path, info.Value.Version, info.Value.ModInfo);
    }

    /// <summary>The Go version and module information after the magic, or null when the file has none.</summary>
    private static async Task<(string Version, string ModInfo)?> FindBuildInfoAsync(Stream content, CancellationToken cancellationToken)
    {
        // ELF, Mach-O and PE executables only: a quick look at the first bytes spares reading other files.
        var head = new byte[4];
        if (await content.ReadAtLeastAsync(head, 4, throwOnEndOfStream: false, cancellationToken) < 4
            || !(head is [0x7f, (byte)'E', (byte)'L', (byte)'F'] or [(byte)'M', (byte)'Z', _, _] or [0xcf or 0xce, 0xfa, 0xed, 0xfe]))
        {
            return null;
        }

        const int Window = 1024 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(Window + MaxInfoLength);
        try
        {
            var length = 0;
            while (true)
            {
                var read = await content.ReadAsync(buffer.AsMemory(length, Window + MaxInfoLength - length), cancellationToken);
                length += read;
                var at = buffer.AsSpan(0, length).IndexOf(Magic);
                if (at >= 0)
                {
                    // Make sure the header and its strings are in the buffer.
                    var needed = Math.Min(at + HeaderLength + MaxInfoLength, Window + MaxInfoLength);
                    if (at > 0)
                    {
                        buffer.AsSpan(at, length - at).CopyTo(buffer);
                        length -= at;
                        needed -= at;
                    }

                    while (length < needed && (read = await content.ReadAsync(buffer.AsMemory(length, needed - length), cancellationToken)) > 0)
                    {
                        length += read;
                    }

                    return Decode(buffer.AsSpan(0, length));
                }

                if (read == 0)
                {
                    return null;
                }

                if (length >= Window)
                {
                    // Keep the tail that could hold the start of the magic.
                    var keep = Magic.Length - 1;
                    buffer.AsSpan(length - keep, keep).CopyTo(buffer);
                    length = keep;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (string, string)? Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength || (data[15] & FlagInlineStrings) == 0)
        {
            return null;
        }

        var rest = data[HeaderLength..];
        return ReadString(ref rest) is { } version && ReadString(ref rest) is { } modInfo ? (version, modInfo) : null;
    }

    private static string? ReadString(ref ReadOnlySpan<byte> data)
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

    /// <summary>Reads modinfo lines: <c>path</c>, <c>mod</c>, <c>dep</c> and <c>=&gt;</c> (a replacement of the line before).</summary>
    internal static IReadOnlyList<Component> Parse(string path, string goVersion, string modInfo)
    {
        // The module information is framed by 16-byte sentinels.
        if (modInfo.Length >= 33 && modInfo[^17] == '\n')
        {
            modInfo = modInfo[16..^16];
        }

        var components = new List<Component>();
        if (goVersion.StartsWith("go", StringComparison.Ordinal))
        {
            components.Add(new Component("go", "stdlib", "v" + goVersion[2..].Split(' ')[0], "Go", path));
        }

        foreach (var line in modInfo.Split('\n'))
        {
            var fields = line.Split('\t');
            switch (fields)
            {
                case ["mod" or "dep", var module, var version, ..] when version != "(devel)":
                    components.Add(new Component("go", module, version, "Go", path));
                    break;
                case ["=>", var module, var version, ..] when components.Count > 0 && components[^1].Name != "stdlib":
                    components[^1] = components[^1] with { Name = module, Version = version };
                    break;
            }
        }

        return components;
    }
}
