using System.Buffers.Binary;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Registry.Scanning.Parsers;

/// <summary>
/// RPM's package databases, in each of the formats RPM has written: SQLite (<c>rpmdb.sqlite</c>: RHEL 9, Fedora 33
/// and later, their rebuilds), Berkeley DB (<c>Packages</c>, a hash database: RHEL 7 and 8, CentOS 7, Amazon Linux 2)
/// and NDB (<c>Packages.db</c>: SUSE). Each holds one RPM header per package, from which name, epoch, version,
/// release, license and source RPM are read. The formats need random access: the database is written to a temporary
/// file (at most <see cref="MaxBytes"/>) that is deleted at once; Berkeley DB and NDB are read by this class, without
/// native libraries.
/// </summary>
public sealed class RpmDatabaseParser : IPackageFileParser
{
    private const int TagName = 1000, TagVersion = 1001, TagRelease = 1002, TagEpoch = 1003, TagLicense = 1014, TagSourceRpm = 1044;
    private const int TypeInt32 = 4, TypeString = 6, TypeI18nString = 9;
    private const int MaxHeaderEntries = 100_000;
    private const int MaxHeaderBytes = 64 * 1024 * 1024;

    public long MaxBytes => 256L * 1024 * 1024;

    public bool Matches(string path, bool executable) => path is "var/lib/rpm/rpmdb.sqlite" or "usr/lib/sysimage/rpm/rpmdb.sqlite"
        or "var/lib/rpm/Packages" or "usr/lib/sysimage/rpm/Packages" or "var/lib/rpm/Packages.db" or "usr/lib/sysimage/rpm/Packages.db";

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rpmdb-{Guid.NewGuid():N}");
        try
        {
            await using (var copy = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(copy, cancellationToken);
            }

            var head = new byte[512];
            using (var handle = File.OpenHandle(file))
            {
                head = head[..RandomAccess.Read(handle, head, 0)];
            }

            IEnumerable<byte[]> headers = head switch
            {
                _ when head.AsSpan().StartsWith("SQLite format 3\0"u8) => await ReadSqliteAsync(file, cancellationToken),
                _ when NdbPackages.Matches(head) => NdbPackages.Read(file),
                _ when BerkeleyHash.Matches(head) => BerkeleyHash.Read(file, path, skipped),
                _ => throw new InvalidDataException("an RPM database in a format not read (neither SQLite, Berkeley DB hash nor NDB)"),
            };
            return headers.Select(h => Read(h, path)).OfType<Component>().ToList();
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<IReadOnlyList<byte[]>> ReadSqliteAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            var headers = new List<byte[]>();
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = file,
                Mode = SqliteOpenMode.ReadOnly,
                Pooling = false,
            }.ToString());
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT blob FROM Packages";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetValue(0) is byte[] header)
                {
                    headers.Add(header);
                }
            }

            return headers;
        }
        catch (SqliteException)
        {
            throw new InvalidDataException("not an RPM SQLite database");
        }
    }

    /// <summary>
    /// NDB's <c>Packages.db</c> (RPM's lib/backend/ndb/rpmpkg.c): a 32-byte header (<c>RpmP</c>, version 0, generation,
    /// number of slot pages), 4 KiB slot pages of 16-byte slots (<c>Slot</c>, package index, block offset, block count;
    /// the header takes the first two), and per package a blob at block offset × 16: <c>BlbS</c>, package index,
    /// checksum, length, then the header.
    /// </summary>
    private static class NdbPackages
    {
        private const uint HeaderMagic = 'R' | ('p' << 8) | ('m' << 16) | ('P' << 24);
        private const uint SlotMagic = 'S' | ('l' << 8) | ('o' << 16) | ('t' << 24);
        private const uint BlobMagic = 'B' | ('l' << 8) | ('b' << 16) | ('S' << 24);
        private const int PageSize = 4096, SlotSize = 16, MaxSlotPages = 2048;

        public static bool Matches(ReadOnlySpan<byte> head) =>
            head.Length >= 32 && BinaryPrimitives.ReadUInt32LittleEndian(head) == HeaderMagic && BinaryPrimitives.ReadUInt32LittleEndian(head[4..]) == 0;

        public static IEnumerable<byte[]> Read(string file)
        {
            using var handle = File.OpenHandle(file);
            var length = RandomAccess.GetLength(handle);
            var header = ReadExactly(handle, 0, 32);
            var pages = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12));
            if (pages is 0 or > MaxSlotPages)
            {
                throw new InvalidDataException("an NDB database with a damaged header");
            }

            var slots = ReadExactly(handle, 32, (int)(pages * PageSize) - 32);
            var headers = new List<byte[]>();
            for (var at = 0; at + SlotSize <= slots.Length; at += SlotSize)
            {
                var slot = slots.AsSpan(at, SlotSize);
                if (BinaryPrimitives.ReadUInt32LittleEndian(slot) != SlotMagic)
                {
                    throw new InvalidDataException("an NDB database with a damaged slot");
                }

                var package = BinaryPrimitives.ReadUInt32LittleEndian(slot[4..]);
                if (package == 0)
                {
                    continue;   // a free slot
                }

                var offset = (long)BinaryPrimitives.ReadUInt32LittleEndian(slot[8..]) * 16;
                var blob = ReadExactly(handle, offset, 16);
                var size = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(12));
                if (BinaryPrimitives.ReadUInt32LittleEndian(blob) != BlobMagic || BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4)) != package
                    || size > MaxHeaderBytes || offset + 16 + size > length)
                {
                    throw new InvalidDataException($"an NDB database whose blob of package {package} is damaged");
                }

                headers.Add(ReadExactly(handle, offset + 16, (int)size));
            }

            return headers;
        }
    }

    /// <summary>
    /// Berkeley DB's hash database, as RPM's <c>Packages</c> (db_page.h): a metadata page (magic 0x061561 at 12, in
    /// the writer's byte order; page size at 20; last page at 32), then hash pages (type 13, or 2 unsorted) whose index
    /// of 16-bit offsets after the 26-byte page header lists key and value items in pairs. A package's header is a
    /// value kept off the page (item type 3: the first overflow page and the length), in a chain of overflow pages
    /// (type 7, next page at 16, bytes used at 22).
    /// </summary>
    private static class BerkeleyHash
    {
        private const uint Magic = 0x061561;
        private const int PageHeader = 26;
        private const byte MetadataPage = 8, HashPage = 13, HashUnsortedPage = 2, OverflowPage = 7, OffPageItem = 3, KeyDataItem = 1;

        public static bool Matches(ReadOnlySpan<byte> head) =>
            head.Length >= 512 && head[25] == MetadataPage
            && (BinaryPrimitives.ReadUInt32LittleEndian(head[12..]) == Magic || BinaryPrimitives.ReadUInt32BigEndian(head[12..]) == Magic);

        public static IEnumerable<byte[]> Read(string file, string path, ICollection<ScanSkip> skipped)
        {
            using var handle = File.OpenHandle(file);
            var meta = ReadExactly(handle, 0, 512);
            var big = BinaryPrimitives.ReadUInt32LittleEndian(meta.AsSpan(12)) != Magic;
            uint U32(ReadOnlySpan<byte> b) => big ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
            ushort U16(ReadOnlySpan<byte> b) => big ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
            var pageSize = (int)U32(meta.AsSpan(20));
            var lastPage = U32(meta.AsSpan(32));
            if (pageSize is < 512 or > 65536 || (pageSize & (pageSize - 1)) != 0 || (long)(lastPage + 1) * pageSize > RandomAccess.GetLength(handle))
            {
                throw new InvalidDataException("a Berkeley DB database with a damaged metadata page");
            }

            var headers = new List<byte[]>();
            var inline = 0;
            var page = new byte[pageSize];
            for (var number = 1u; number <= lastPage; number++)
            {
                RandomAccess.Read(handle, page, (long)number * pageSize);
                if (page[25] is not (HashPage or HashUnsortedPage))
                {
                    continue;
                }

                var entries = U16(page.AsSpan(20));
                for (var i = 1; i < entries && PageHeader + (2 * i) + 2 <= pageSize; i += 2)
                {
                    var item = U16(page.AsSpan(PageHeader + (2 * i)));
                    if (item + 12 > pageSize)
                    {
                        throw new InvalidDataException("a Berkeley DB hash page with a damaged index");
                    }

                    if (page[item] == OffPageItem)
                    {
                        headers.Add(ReadOverflow(handle, U32(page.AsSpan(item + 4)), U32(page.AsSpan(item + 8)), pageSize, lastPage, U32, U16));
                    }
                    else if (page[item] == KeyDataItem)
                    {
                        inline++;
                    }
                }
            }

            if (inline > 0)
            {
                skipped.Add(new ScanSkip(path, $"{inline} values stored on their hash page, too small to be package headers, were not read"));
            }

            return headers;
        }

        private static byte[] ReadOverflow(
            Microsoft.Win32.SafeHandles.SafeFileHandle handle, uint first, uint length, int pageSize, uint lastPage, Func<ReadOnlySpan<byte>, uint> u32, Func<ReadOnlySpan<byte>, ushort> u16)
        {
            if (length > MaxHeaderBytes)
            {
                throw new InvalidDataException("a Berkeley DB value larger than any package header");
            }

            var value = new byte[length];
            var filled = 0;
            var page = new byte[pageSize];
            for (uint number = first, visited = 0; number != 0 && filled < length; visited++)
            {
                if (number > lastPage || visited > lastPage)
                {
                    throw new InvalidDataException("a Berkeley DB overflow chain that leaves the file or loops");
                }

                RandomAccess.Read(handle, page, (long)number * pageSize);
                if (page[25] != OverflowPage)
                {
                    throw new InvalidDataException("a Berkeley DB overflow chain through a page of another type");
                }

                var next = u32(page.AsSpan(16));
                var used = next == 0 ? Math.Min(u16(page.AsSpan(22)), pageSize - PageHeader) : pageSize - PageHeader;
                var take = Math.Min(used, (int)length - filled);
                page.AsSpan(PageHeader, take).CopyTo(value.AsSpan(filled));
                filled += take;
                number = next;
            }

            return filled == length ? value : throw new InvalidDataException("a Berkeley DB overflow chain shorter than its value");
        }
    }

    private static byte[] ReadExactly(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, int count)
    {
        var bytes = new byte[count];
        var read = 0;
        while (read < count && RandomAccess.Read(handle, bytes.AsSpan(read), offset + read) is var n and > 0)
        {
            read += n;
        }

        return read == count ? bytes : throw new InvalidDataException("an RPM database cut short");
    }

    /// <summary>One package from an RPM header blob (index count, data length, 16-byte index entries, data); null when malformed.</summary>
    internal static Component? Read(byte[] header, string path)
    {
        if (header.Length < 8)
        {
            return null;
        }

        var entries = BinaryPrimitives.ReadInt32BigEndian(header);
        var dataLength = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        var dataStart = 8L + (16L * entries);
        if (entries is <= 0 or > MaxHeaderEntries || dataLength < 0 || dataStart + dataLength > header.Length)
        {
            return null;
        }

        var data = header.AsSpan((int)dataStart, dataLength);
        var values = new Dictionary<int, string>();
        for (var i = 0; i < entries; i++)
        {
            var entry = header.AsSpan(8 + (16 * i), 16);
            var tag = BinaryPrimitives.ReadInt32BigEndian(entry);
            var type = BinaryPrimitives.ReadInt32BigEndian(entry[4..]);
            var offset = BinaryPrimitives.ReadInt32BigEndian(entry[8..]);
            if (tag is not (TagName or TagVersion or TagRelease or TagEpoch or TagLicense or TagSourceRpm) || offset < 0 || offset >= data.Length)
            {
                continue;
            }

            if (type is TypeString or TypeI18nString)
            {
                var end = data[offset..].IndexOf((byte)0);
                if (end >= 0)
                {
                    values[tag] = Encoding.UTF8.GetString(data.Slice(offset, end));
                }
            }
            else if (type == TypeInt32 && offset + 4 <= data.Length)
            {
                values[tag] = BinaryPrimitives.ReadInt32BigEndian(data[offset..]).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        if (!values.TryGetValue(TagName, out var name) || !values.TryGetValue(TagVersion, out var version) || name == "gpg-pubkey")
        {
            return null;   // gpg-pubkey entries are imported keys, not packages
        }

        var release = values.GetValueOrDefault(TagRelease);
        var full = (values.TryGetValue(TagEpoch, out var epoch) && epoch != "0" ? epoch + ":" : "") + version + (release is null ? "" : "-" + release);
        return new Component("rpm", name, full, "Red Hat", path, SourceName(values.GetValueOrDefault(TagSourceRpm)), values.GetValueOrDefault(TagLicense));
    }

    /// <summary>The source package of <c>name-version-release.src.rpm</c>: everything before the last two dashes.</summary>
    private static string? SourceName(string? sourceRpm)
    {
        if (sourceRpm is null)
        {
            return null;
        }

        var release = sourceRpm.LastIndexOf('-');
        var version = release > 0 ? sourceRpm.LastIndexOf('-', release - 1) : -1;
        return version > 0 ? sourceRpm[..version] : null;
    }
}
