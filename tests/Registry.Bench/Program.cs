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
if (args.Length != 5 || args[0] != "sdk-upload")
{
    Console.Error.WriteLine("usage: Registry.Bench sdk-upload FILE BLOCK_SIZE PARALLELISM RUNS");
    return 2;
}

var file = args[1];
var blockSize = int.Parse(args[2], CultureInfo.InvariantCulture);
var parallelism = int.Parse(args[3], CultureInfo.InvariantCulture);
var runs = int.Parse(args[4], CultureInfo.InvariantCulture);
var connection = Environment.GetEnvironmentVariable("REGISTRY_BENCH_CONNECTION")
    ?? "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://localhost:10000/devstoreaccount1;";
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
