using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;

// sdk-upload FILE BLOCK_SIZE PARALLELISM RUNS
//   Uploads FILE to the storage of REGISTRY_BENCH_CONNECTION (Azurite by default) the way the registry stages an
//   upload: blocks of BLOCK_SIZE read in order, hashed with SHA-256, staged PARALLELISM at a time, then one
//   commit. Prints one line per run: "sdk-upload run N: S s, X MB/s" (10^6 bytes per second).
// seed-gc PREFIX REPOSITORIES MANIFESTS_PER_REPOSITORY LAYERS_PER_MANIFEST
// seed-tags PREFIX REPOSITORY TAGS
//   Write registry content straight into the storage of the registry whose container and table prefix is PREFIX,
//   through the registry's own stores (see Seed.cs).
// seed-repos PREFIX COUNT
//   COUNT repositories over 100 namespaces, public and private in turns of 100, for the search benchmark.
// seed-inventories PREFIX COUNT
//   COUNT scanned images (inventories of 60 components each, completed scan rows) for re-evaluation benchmarks.
// sdk-read PREFIX DIGEST
//   The baseline of a scan: reads a content blob of that registry through the Azure SDK alone, as a scan reads a
//   layer (once to warm up, then timed), and prints "sdk-read: N bytes in S s".
// forget-analysis PREFIX LAYER_DIGEST
//   Removes the stored analysis of a layer, so that the next scan reads the layer again.
// wait-queue QUEUE
//   Polls the Storage Queue QUEUE every 20 ms until it holds no message (visible or in flight) and prints the time
//   it found it empty, as Unix seconds: what the signing benchmark times a batch of jobs with.
// wait-queue-count QUEUE COUNT
//   Polls the Storage Queue QUEUE every 20 ms until it holds at least COUNT messages and prints the time, as Unix
//   seconds: what the events benchmark times a drain with.
// sdk-delete PREFIX COUNT
//   The baseline of GC's sweep: deletes COUNT content blobs of that registry one after another with the SDK alone
//   and prints "sdk-delete: N deletes in S s". It destroys content: run it only when the registry is done with.
var connection = Environment.GetEnvironmentVariable("REGISTRY_BENCH_CONNECTION")
    ?? "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
       "BlobEndpoint=http://localhost:10000/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";
int Number(int i) => int.Parse(args[i], CultureInfo.InvariantCulture);
switch (args)
{
    case ["sdk-upload", var file, _, _, _]:
        return await SdkUploadAsync(file, Number(2), Number(3), Number(4));
    case ["seed-gc", var prefix, _, _, _]:
        await Registry.Bench.Seed.GcAsync(connection, prefix, Number(2), Number(3), Number(4));
        return 0;
    case ["seed-tags", var prefix, var repository, _]:
        await Registry.Bench.Seed.TagsAsync(connection, prefix, repository, Number(3));
        return 0;
    case ["seed-repos", var prefix, _]:
        await Registry.Bench.Seed.RepositoriesAsync(connection, prefix, Number(2));
        return 0;
    case ["seed-inventories", var prefix, _]:
        await Registry.Bench.Seed.InventoriesAsync(connection, prefix, Number(2));
        return 0;
    case ["sdk-read", var prefix, var blob] when Registry.Oci.Digest.TryParse(blob, out var digest):
        await SdkReadAsync(prefix, digest);
        return 0;
    case ["forget-analysis", var prefix, var layer] when Registry.Oci.Digest.TryParse(layer, out var digest):
        await new BlobServiceClient(connection).GetBlobContainerClient(prefix)
            .GetBlobClient(Registry.Storage.StorageLayout.ScanPath("layers", digest)).DeleteIfExistsAsync();
        return 0;
    case ["wait-queue", var queue]:
        await WaitQueueAsync(queue, 0);
        return 0;
    case ["wait-queue-count", var queue, _]:
        await WaitQueueAsync(queue, Number(2));
        return 0;
    case ["sdk-delete", var prefix, _]:
        await SdkDeleteAsync(prefix, Number(2));
        return 0;
    default:
        Console.Error.WriteLine("usage: Registry.Bench sdk-upload FILE BLOCK_SIZE PARALLELISM RUNS | seed-gc PREFIX REPOS MANIFESTS LAYERS | seed-tags PREFIX REPO TAGS | seed-inventories PREFIX COUNT | sdk-read PREFIX DIGEST | forget-analysis PREFIX LAYER | wait-queue QUEUE | wait-queue-count QUEUE COUNT | sdk-delete PREFIX COUNT");
        return 2;
}

async Task WaitQueueAsync(string name, int atLeast)
{
    // at least 0: until the queue is empty; more: until it holds that many
    var queue = new Azure.Storage.Queues.QueueClient(connection + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;", name);
    await queue.CreateIfNotExistsAsync();
    while (atLeast == 0 ? (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0 : (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount < atLeast)
    {
        await Task.Delay(20);
    }

    Console.WriteLine((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture));
}

async Task SdkReadAsync(string prefix, Registry.Oci.Digest digest)
{
    // Two reads: the first warms the process (JIT, connection), as the registry host is warm; the second is timed.
    var blob = new BlobServiceClient(connection).GetBlobContainerClient(prefix).GetBlobClient(Registry.Storage.StorageLayout.ContentPath(digest));
    var buffer = new byte[1024 * 1024];
    for (var pass = 0; pass < 2; pass++)
    {
        var watch = Stopwatch.StartNew();
        var response = await blob.DownloadStreamingAsync();
        await using var content = response.Value.Content;
        long total = 0;
        int read;
        while ((read = await content.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        if (pass == 1)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sdk-read: {total} bytes in {watch.Elapsed.TotalSeconds:F2} s"));
        }
    }
}

async Task SdkDeleteAsync(string prefix, int count)
{
    var container = new BlobServiceClient(connection).GetBlobContainerClient(prefix);
    var names = new List<string>();
    await foreach (var item in container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = "blobs/" }))
    {
        names.Add(item.Name);
        if (names.Count == count)
        {
            break;
        }
    }

    var watch = Stopwatch.StartNew();
    foreach (var name in names)
    {
        await container.GetBlobClient(name).DeleteAsync();
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sdk-delete: {names.Count} deletes in {watch.Elapsed.TotalSeconds:F2} s"));
}

async Task<int> SdkUploadAsync(string file, int blockSize, int parallelism, int runs)
{
    var container = new BlobServiceClient(connection).GetBlobContainerClient("bench-sdk");
    await container.CreateIfNotExistsAsync();
    var length = new FileInfo(file).Length;

    for (var run = 1; run <= runs; run++)
    {
        var blob = container.GetBlockBlobClient($"run-{Guid.NewGuid():N}");
        var watch = Stopwatch.StartNew();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var input = File.OpenRead(file);
        var ids = new List<string>();
        var inFlight = new List<Task>();
        while (true)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
            var filled = 0;
            int read;
            while (filled < blockSize && (read = await input.ReadAsync(buffer.AsMemory(filled, blockSize - filled))) > 0)
            {
                filled += read;
            }

            if (filled == 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                break;
            }

            hash.AppendData(buffer, 0, filled);
            var id = Convert.ToBase64String(BitConverter.GetBytes(ids.Count));
            ids.Add(id);
            inFlight.Add(StageAsync(blob, id, buffer, filled));
            if (inFlight.Count >= parallelism)
            {
                var done = await Task.WhenAny(inFlight);
                inFlight.Remove(done);
                await done;
            }
        }

        await Task.WhenAll(inFlight);
        await blob.CommitBlockListAsync(ids);
        watch.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sdk-upload run {run}: {watch.Elapsed.TotalSeconds:F2} s, {length / 1e6 / watch.Elapsed.TotalSeconds:F1} MB/s"));
        await blob.DeleteAsync();
    }

    return 0;
}

static async Task StageAsync(BlockBlobClient blob, string id, byte[] buffer, int length)
{
    try
    {
        using var content = new MemoryStream(buffer, 0, length, writable: false);
        await blob.StageBlockAsync(id, content);
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
