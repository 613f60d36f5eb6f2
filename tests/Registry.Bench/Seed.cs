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
                await metadata.TryAddTagAsync(name, tag, parsed.Digest, ct);
            }

            await metadata.EnsureRepositoryAsync(name, ct);
        });
        Console.WriteLine($"seed-gc: {repositories * manifests} manifests, {repositories * manifests * (layers + 1)} blobs in {watch.Elapsed.TotalSeconds:F1} s");
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
            await metadata.TryAddTagAsync(name, tag, parsed.Digest, ct);
        });
        Console.WriteLine($"seed-tags: {tags} tags in {watch.Elapsed.TotalSeconds:F1} s");
    }

    private static string Descriptor(string mediaType, (Digest Digest, int Size) blob) =>
        $"{{\"mediaType\":\"{mediaType}\",\"digest\":\"{blob.Digest}\",\"size\":{blob.Size}}}";

    private static (ContentStore Content, MetadataStore Metadata) Open(string connection, string prefix)
    {
        var clients = new StorageClients(MsOptions.Create(new StorageOptions { ConnectionString = connection, Container = prefix, TablePrefix = prefix }));
        var registry = MsOptions.Create(new RegistryOptions());
        return (new ContentStore(clients, registry, TimeProvider.System),
            new MetadataStore(clients, new MemoryCache(new MemoryCacheOptions()), registry, TimeProvider.System));
    }
}
