using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Registry.Tests.Support;

/// <summary>Image layers made in tests: tar archives of text files, plain, gzip or zstd.</summary>
public static class TestLayers
{
    public const string AlpineRelease = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.13.5\n";

    /// <summary>Alpine's database with musl and libssl1.1 1.1.1j-r0 (origin openssl, before the fix of CVE-2021-3449).</summary>
    public const string ApkInstalled = "C:Q1abc=\nP:musl\nV:1.2.2-r0\nA:x86_64\nL:MIT\no:musl\n\nC:Q1def=\nP:libssl1.1\nV:1.1.1j-r0\nL:OpenSSL\no:openssl\n\n";

    public static PaxTarEntry File(string name, string content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    public static byte[] Tar(params (string Name, string Content)[] files)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                writer.WriteEntry(File(name, content));
            }
        }

        return tar.ToArray();
    }

    /// <summary>The tar with one more (binary) file at its end.</summary>
    public static byte[] Append(byte[] tar, string name, byte[] content, bool executable = false)
    {
        var output = new MemoryStream();
        using (var reader = new TarReader(new MemoryStream(tar)))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                writer.WriteEntry(entry);
            }

            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(content),
                Mode = executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
            });
        }

        return output.ToArray();
    }

    public static byte[] Gzip(byte[] tar)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar);
        }

        return output.ToArray();
    }

    public static byte[] Zstd(byte[] tar)
    {
        using var compressor = new ZstdSharp.Compressor();
        return compressor.Wrap(tar).ToArray();
    }

    /// <summary>An ELF-looking file with Go 1.18+ build information: the magic, a header with inline strings, two varint strings.</summary>
    public static byte[] GoBinary(string version, string modInfo)
    {
        var output = new MemoryStream();
        output.Write([0x7f, (byte)'E', (byte)'L', (byte)'F']);
        output.Write(new byte[3068]);   // the header is 16-byte aligned
        var header = new byte[32];
        Encoding.Latin1.GetBytes("\u00ff Go buildinf:").CopyTo(header, 0);
        header[14] = 8;     // pointer size
        header[15] = 0x2;   // inline strings
        output.Write(header);
        const string sentinelStart = "0123456789abcdef";
        const string sentinelEnd = "fedcba9876543210";
        foreach (var text in new[] { version, sentinelStart + modInfo + sentinelEnd })
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var length = (uint)bytes.Length;
            while (length >= 0x80)
            {
                output.WriteByte((byte)(length | 0x80));
                length >>= 7;
            }

            output.WriteByte((byte)length);
            output.Write(bytes);
        }

        output.Write(new byte[100]);
        return output.ToArray();
    }
}
