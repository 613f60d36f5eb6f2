using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Registry.Oci;
using Registry.Options;
using Registry.Storage;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Registry.Bench;

/// <summary>
/// Writes benchmark content into a registry's storage through the registry's own stores, in the order a push
/// writes it (content, manifest row, link, tag), far faster than pushing it over HTTP.
/// </summary>
public static class Seed
{
    private const int Parallelism = 32;

    /// <summary>
    /// <paramref name="repositories"/> x <paramref name="manifests"/> image manifests under bench/rNNN, each with a
    /// config and <paramref name="layers"/> layers of its own (512 random bytes each). Every second manifest is
    /// tagged; the others are garbage once the grace period has passed.
    /// </summary>
    public static async Task GcAsync(string connection, string prefix, int repositories, int manifests, int layers)
    {
        var (content, metadata) = Open(connection, prefix);
        var watch = Stopwatch.StartNew();
        var work = Enumerable.Range(0, repositories).SelectMany(r => Enumerable.Range(0, manifests).Select(m => (r, m)));
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (item, ct) =>
        {
            RepositoryName.TryParse($"bench/r{item.r:D3}", out var name);
            var blobs = new List<(Digest Digest, int Size)>();
            for (var i = 0; i <= layers; i++)
            {
                var bytes = RandomNumberGenerator.GetBytes(512);
                var digest = Digest.ComputeSha256(bytes);
                await content.PutAsync(digest, bytes, ct);
                await metadata.LinkBlobAsync(name, digest, bytes.Length, ct);
                blobs.Add((digest, bytes.Length));
            }

            var manifest = Encoding.UTF8.GetBytes(
                $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"config\":{Descriptor(MediaTypes.ImageConfig, blobs[0])}," +
                $"\"layers\":[{string.Join(",", blobs.Skip(1).Select(b => Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", b)))}]}}");
            var parsed = ManifestParser.Parse(manifest, MediaTypes.ImageManifest);
            await content.PutAsync(parsed.Digest, manifest, ct);
            await metadata.PutManifestAsync(name, parsed, manifest, ct);
            await metadata.LinkBlobAsync(name, parsed.Digest, manifest.Length, ct);
            if (item.m % 2 == 0)
            {
                Tag.TryParse($"t{item.m}", out var tag);
                await metadata.TryAddTagAsync(name, tag, parsed.Digest, null, null, ct);
            }

            await metadata.EnsureRepositoryAsync(name, ct);
        });
        Console.WriteLine($"seed-gc: {repositories * manifests} manifests, {repositories * manifests * (layers + 1)} blobs in {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>
    /// <paramref name="count"/> repositories over 100 namespaces (<c>team-N/service-WORD-N</c>, the word one of ten),
    /// public and private in turns of 100, with a short description: what the search benchmark completes names over.
    /// </summary>
    public static async Task RepositoriesAsync(string connection, string prefix, int count)
    {
        var (_, metadata) = Open(connection, prefix);
        string[] words = ["api", "web", "worker", "db", "cache", "auth", "billing", "search", "mail", "gateway"];
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, ct) =>
        {
            RepositoryName.TryParse($"team-{i % 100}/service-{words[i % words.Length]}-{i}", out var name);
            await metadata.AddRepositoryAsync(name, new Records.RepositoryRecord
            {
                Visibility = i / 100 % 2 == 0 ? "public" : "private", ShortDescription = $"service {i}",
            }, ct);
        });
        Console.WriteLine($"seed-repos: {count} repositories in {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>One image in <paramref name="repository"/> with <paramref name="tags"/> tags: half dev-N, half v N.</summary>
    public static async Task TagsAsync(string connection, string prefix, string repository, int tags)
    {
        var (content, metadata) = Open(connection, prefix);
        RepositoryName.TryParse(repository, out var name);
        var config = Encoding.UTF8.GetBytes("{\"os\":\"linux\",\"architecture\":\"amd64\"}");
        var configDigest = Digest.ComputeSha256(config);
        await content.PutAsync(configDigest, config);
        await metadata.LinkBlobAsync(name, configDigest, config.Length);
        var manifest = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"config\":{Descriptor(MediaTypes.ImageConfig, (configDigest, config.Length))},\"layers\":[]}}");
        var parsed = ManifestParser.Parse(manifest, MediaTypes.ImageManifest);
        await content.PutAsync(parsed.Digest, manifest);
        await metadata.PutManifestAsync(name, parsed, manifest);
        await metadata.LinkBlobAsync(name, parsed.Digest, manifest.Length);
        await metadata.EnsureRepositoryAsync(name);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, tags), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, ct) =>
        {
            Tag.TryParse(i % 2 == 0 ? $"dev-{i}" : $"v{i}", out var tag);
            await metadata.TryAddTagAsync(name, tag, parsed.Digest, null, null, ct);
        });
        Console.WriteLine($"seed-tags: {tags} tags in {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>
    /// <paramref name="count"/> scanned images: an inventory blob of 60 components each (Alpine packages, among
    /// them an old openssl, and npm packages, among them an old lodash) and a completed scan row.
    /// </summary>
    public static async Task InventoriesAsync(string connection, string prefix, int count)
    {
        var clients = Clients(connection, prefix);
        var scans = clients.Table(StorageLayout.ScansTable);
        var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, ct) =>
        {
            var layer = Digest.ComputeSha256(BitConverter.GetBytes(i)).ToString();
            var components = Enumerable.Range(0, 30).Select(n => new Scanning.Component("apk", $"pkg{n}", $"1.{n}.0-r0", "Alpine:v3.13", "lib/apk/db/installed", $"pkg{n}", "MIT", layer))
                .Append(new Scanning.Component("apk", "libssl1.1", "1.1.1j-r0", "Alpine:v3.13", "lib/apk/db/installed", "openssl", "OpenSSL", layer))
                .Concat(Enumerable.Range(0, 28).Select(n => new Scanning.Component("npm", $"module{n}", $"2.{n}.1", "npm", $"app/node_modules/module{n}/package.json", Layer: layer)))
                .Append(new Scanning.Component("npm", "lodash", "4.17.15", "npm", "app/node_modules/lodash/package.json", Layer: layer))
                .ToList();
            var inventory = new Scanning.ImageInventoryRecord("linux", "amd64", new Scanning.OsRelease("alpine", "3.13.5"), [new Scanning.LayerRef(layer, 1024)], components);
            var image = Digest.ComputeSha256(System.Text.Encoding.UTF8.GetBytes($"bench image {prefix} {i}"));
            await clients.Container.GetBlobClient(StorageLayout.ScanPath("inventories", image)).UploadAsync(BinaryData.FromObjectAsJson(inventory, json), overwrite: true, ct);
            await scans.UpsertEntityAsync(new Registry.Storage.Entities.ScanEntity
            {
                PartitionKey = image.ToString(), RowKey = StorageLayout.ScanRow, Status = 6, Os = "linux", Architecture = "amd64",
            }, Azure.Data.Tables.TableUpdateMode.Replace, ct);
        });
        Console.WriteLine($"seed-inventories: {count} inventories in {watch.Elapsed.TotalSeconds:F1} s");
    }

    private static string Descriptor(string mediaType, (Digest Digest, int Size) blob) =>
        $"{{\"mediaType\":\"{mediaType}\",\"digest\":\"{blob.Digest}\",\"size\":{blob.Size}}}";

    private static StorageClients Clients(string connection, string prefix) =>
        new(MsOptions.Create(new StorageOptions { ConnectionString = connection, Container = prefix, TablePrefix = prefix }));

    private static (ContentStore Content, MetadataStore Metadata) Open(string connection, string prefix)
    {
        var clients = Clients(connection, prefix);
        var registry = MsOptions.Create(new RegistryOptions());
        return (new ContentStore(clients, registry, TimeProvider.System),
            new MetadataStore(clients, new PolicyStore(clients, MsOptions.Create(new MirroringOptions())), new MemoryCache(new MemoryCacheOptions()), registry, TimeProvider.System));
    }
}
