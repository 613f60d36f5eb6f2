using System.Buffers.Binary;
using System.Text;
using Microsoft.Data.Sqlite;
using Registry.Options;
using Registry.Scanning;
using Registry.Scanning.Parsers;
using Registry.Tests.Support;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Registry.Tests.Unit;

/// <summary>
/// An rpmdb.sqlite made in the test (RPM headers in the Packages table), read from a layer of a Rocky Linux 9
/// image: packages with epoch, release, license and source package; gpg-pubkey entries and malformed headers skipped.
/// </summary>
public sealed class RpmDatabaseParserTests
{
    [Fact]
    public async Task Analyze_RockyLayerWithRpmdb_PackagesWithEvrAndEcosystem()
    {
        // Arrange
        var database = await RpmDatabaseAsync(
            Header(("openssl-libs", 1000), ("3.0.1", 1001), ("43.el9_0", 1002), ("Apache-2.0", 1014), ("openssl-3.0.1-43.el9_0.src.rpm", 1044), (1, 1003)),
            Header(("bash", 1000), ("5.1.8", 1001), ("4.el9", 1002), ("GPLv3+", 1014)),
            Header(("gpg-pubkey", 1000), ("350d275d", 1001)),
            [0, 0, 0, 9, 0, 0, 0, 1]);   // claims nine entries it does not have
        var tar = TestLayers.Tar(("etc/os-release", "ID=\"rocky\"\nVERSION_ID=\"9.0\"\n"));
        var layer = TestLayers.Append(tar, "var/lib/rpm/rpmdb.sqlite", database);
        var analyzer = new LayerAnalyzer([new RpmDatabaseParser()], MsOptions.Create(new ScanOptions()));

        // Act
        var (components, _, _) = ImageInventory.Merge([("sha256:rocky", await analyzer.AnalyzeAsync(new MemoryStream(TestLayers.Gzip(layer))))]);

        // Assert
        Assert.Equal(new[] { "openssl-libs 1:3.0.1-43.el9_0 openssl Apache-2.0", "bash 5.1.8-4.el9  GPLv3+" },
            components.Select(c => $"{c.Name} {c.Version} {c.SourceName} {c.License}"));
        Assert.All(components, c => Assert.Equal("Rocky Linux:9", c.Ecosystem));
    }

    [Fact]
    public async Task Parse_NoDatabaseFormat_NothingRecordedSkipReported()
    {
        // Arrange: a file at the database's path that is no database
        var layer = TestLayers.Append(TestLayers.Tar(), "var/lib/rpm/Packages", Encoding.UTF8.GetBytes("not a database at all"));
        var analyzer = new LayerAnalyzer([new RpmDatabaseParser()], MsOptions.Create(new ScanOptions()));

        // Act
        var analysis = await analyzer.AnalyzeAsync(new MemoryStream(layer));

        // Assert
        var file = Assert.Single(analysis.Files);
        Assert.Empty(file.Components);
        Assert.Equal("not readable: an RPM database in a format not read (neither SQLite, Berkeley DB hash nor NDB)", Assert.Single(file.Skipped!).Reason);
    }

    /// <summary>An RPM header: index entries (tag, type, offset, count) over a data store; strings or one int32.</summary>
    private static byte[] Header(params (object Value, int Tag)[] fields)
    {
        var data = new MemoryStream();
        var index = new List<(int Tag, int Type, int Offset)>();
        foreach (var (value, tag) in fields)
        {
            if (value is int number)
            {
                while (data.Length % 4 != 0)
                {
                    data.WriteByte(0);
                }

                index.Add((tag, 4, (int)data.Length));
                var bytes = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(bytes, number);
                data.Write(bytes);
            }
            else
            {
                index.Add((tag, 6, (int)data.Length));
                data.Write(Encoding.UTF8.GetBytes((string)value));
                data.WriteByte(0);
            }
        }

        var header = new byte[8 + (16 * index.Count) + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, index.Count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), (int)data.Length);
        for (var i = 0; i < index.Count; i++)
        {
            var entry = header.AsSpan(8 + (16 * i));
            BinaryPrimitives.WriteInt32BigEndian(entry, index[i].Tag);
            BinaryPrimitives.WriteInt32BigEndian(entry[4..], index[i].Type);
            BinaryPrimitives.WriteInt32BigEndian(entry[8..], index[i].Offset);
            BinaryPrimitives.WriteInt32BigEndian(entry[12..], 1);
        }

        data.ToArray().CopyTo(header, 8 + (16 * index.Count));
        return header;
    }

    private static async Task<byte[]> RpmDatabaseAsync(params byte[][] headers)
    {
        var file = Path.Combine(Path.GetTempPath(), $"test-rpmdb-{Guid.NewGuid():N}.sqlite");
        try
        {
            await using (var connection = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                await connection.OpenAsync();
                await using var create = connection.CreateCommand();
                create.CommandText = "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)";
                await create.ExecuteNonQueryAsync();
                foreach (var header in headers)
                {
                    await using var insert = connection.CreateCommand();
                    insert.CommandText = "INSERT INTO Packages (blob) VALUES ($blob)";
                    insert.Parameters.AddWithValue("$blob", header);
                    await insert.ExecuteNonQueryAsync();
                }
            }

            return await File.ReadAllBytesAsync(file);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
