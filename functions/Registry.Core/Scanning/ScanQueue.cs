using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Services;
using Registry.Storage;
using Registry.Storage.Entities;

namespace Registry.Scanning;

/// <summary>Scans asked for: a Pending row and a job on the scan queue per image (platform), on request or on push.</summary>
public sealed partial class ScanQueue(
    StorageClients clients, ScanResults results, IOptions<ScanOptions> options, TimeProvider time, ILogger<ScanQueue> logger)
{
    private readonly TableClient _scans = clients.Table(StorageLayout.ScansTable);

    /// <summary>
    /// Queues a scan of the image <paramref name="reference"/> names: of each platform of an index, or of those
    /// matching <paramref name="os"/> and <paramref name="architecture"/>. Returns the images queued.
    /// </summary>
    public async Task<IReadOnlyList<ScanEntity>> RequestAsync(
        RepositoryName name, ManifestReference reference, string? os, string? architecture, CancellationToken cancellationToken = default)
    {
        var queued = new List<ScanEntity>();
        foreach (var (digest, imageOs, imageArchitecture) in await results.ResolveAsync(name, reference, cancellationToken))
        {
            if ((os is not null && os != imageOs) || (architecture is not null && architecture != imageArchitecture))
            {
                continue;
            }

            var scan = await results.GetOrNullAsync(digest, cancellationToken) ?? new ScanEntity { PartitionKey = digest.ToString(), RowKey = StorageLayout.ScanRow };
            scan.Status = ScanService.Pending;
            scan.Os = imageOs;
            scan.Architecture = imageArchitecture;
            scan.RequestedAt = time.GetUtcNow();
            await _scans.UpsertEntityAsync(scan, TableUpdateMode.Merge, cancellationToken);
            var queue = clients.Queue(options.Value.Queue);
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queue.SendMessageAsync(JsonSerializer.Serialize(new ScanJob(name.Value, digest.ToString()), ScanResults.Json), cancellationToken);
            queued.Add(scan);
        }

        return queued;
    }

    /// <summary>
    /// After a push to a repository with scanOnPush: queues the image's scan. A failure to queue is logged; the push
    /// has succeeded and a scan can be asked for later.
    /// </summary>
    public async Task OnPushAsync(ManifestPush push, CancellationToken cancellationToken = default)
    {
        // Attachments (signatures, SBOMs: anything with a subject or an artifact type) are not images to scan.
        var manifest = push.Manifest;
        if (push.Settings is not { ScanOnPush: true } || manifest.Subject is not null || manifest.ArtifactType is not null)
        {
            return;
        }

        try
        {
            await RequestAsync(push.Repository, new ManifestReference(null, manifest.Digest), null, null, cancellationToken);
        }
        catch (Exception e) when (e is RequestFailedException or InvalidOperationException)
        {
            LogNotQueued(logger, e, push.Repository.Value, manifest.Digest.ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The scan on push of {Repository}@{Digest} could not be queued")]
    private static partial void LogNotQueued(ILogger logger, Exception exception, string repository, string digest);
}
