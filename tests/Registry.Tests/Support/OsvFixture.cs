using System.IO.Compression;

namespace Registry.Tests.Support;

/// <summary>The OSV fixture of Fixtures/osv as a zip, the way osv.dev publishes an ecosystem.</summary>
public static class OsvFixture
{
    public static byte[] Zip(string? extraRecord = null)
    {
        var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "osv"), "*.json"))
            {
                archive.CreateEntryFromFile(file, Path.GetFileName(file));
            }

            if (extraRecord is not null)
            {
                using var entry = new StreamWriter(archive.CreateEntry("extra.json").Open());
                entry.Write(extraRecord);
            }
        }

        return zip.ToArray();
    }
}
