using System.Buffers.Binary;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Registry.Scanning.Parsers;

/// <summary>
/// RPM's SQLite database (<c>var/lib/rpm/rpmdb.sqlite</c>; RHEL 9, Fedora 33 and later, their rebuilds): the
/// <c>Packages</c> table holds one RPM header per package, from which name, epoch, version, release, license and
/// source RPM are read. SQLite needs a file: the database is written to a temporary file (at most
/// <see cref="MaxBytes"/>) that is deleted at once. The Berkeley DB and NDB formats of older releases are not read.
/// </summary>
public sealed class RpmDatabaseParser : IPackageFileParser
{
    private const int TagName = 1000, TagVersion = 1001, TagRelease = 1002, TagEpoch = 1003, TagLicense = 1014, TagSourceRpm = 1044;
    private const int TypeInt32 = 4, TypeString = 6, TypeI18nString = 9;
    private const int MaxHeaderEntries = 100_000;

    public long MaxBytes => 256L * 1024 * 1024;

    public bool Matches(string path, bool executable) => path is "var/lib/rpm/rpmdb.sqlite" or "usr/lib/sysimage/rpm/rpmdb.sqlite";

    public async Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rpmdb-{Guid.NewGuid():N}.sqlite");
        try
        {
            await using (var copy = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(copy, cancellationToken);
            }

            var components = new List<Component>();
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
                if (reader.GetValue(0) is byte[] header && Read(header, path) is { } component)
                {
                    components.Add(component);
                }
            }

            return components;
        }
        catch (SqliteException)
        {
            throw new InvalidDataException("not an RPM SQLite database");
        }
        finally
        {
            File.Delete(file);
        }
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
