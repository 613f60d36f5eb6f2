using Registry.Oci;
using Registry.Services;
using Registry.Stores;
using Registry.Records;

namespace Registry.Scanning;

/// <summary>Scans asked for: a Pending row and a job on the scan queue per image (platform), on request or on push.</summary>
public sealed class ScanQueue(IScanStore store, ScanResults results, TimeProvider time)
{
    /// <summary>
    /// Queues a scan of the image <paramref name="reference"/> names: of each platform of an index, or of those
    /// matching <paramref name="os"/> and <paramref name="architecture"/>. Returns the images queued.
    /// </summary>
    public async Task<IReadOnlyList<ImageScan>> RequestAsync(
        RepositoryName name, ManifestReference reference, string? os, string? architecture, CancellationToken cancellationToken = default)
    {
        var queued = new List<ImageScan>();
        foreach (var (digest, imageOs, imageArchitecture) in await results.ResolveAsync(name, reference, cancellationToken))
        {
            if ((os is not null && os != imageOs) || (architecture is not null && architecture != imageArchitecture))
            {
                continue;
            }

            var scan = await results.GetOrNullAsync(digest, cancellationToken) ?? new ImageScan { Digest = digest.ToString() };
            scan.Status = ScanService.Pending;
            scan.Os = imageOs;
            scan.Architecture = imageArchitecture;
            scan.RequestedAt = time.GetUtcNow();
            await store.SaveScanAsync(scan, merge: true, cancellationToken);
            await store.EnqueueAsync(new ScanJob(name.Value, digest.ToString(), scan.RequestedAt), cancellationToken);
            queued.Add(scan);
        }

        return queued;
    }

    /// <summary>
    /// After a push to a repository with scanOnPush: queues the image's scan. A failure to queue is the after-push
    /// step's: logged, and the push stands (a scan can be asked for later).
    /// </summary>
    public async Task OnPushAsync(ManifestPush push, CancellationToken cancellationToken = default)
    {
        // Attachments (signatures, SBOMs: anything with a subject or an artifact type) are not images to scan.
        var manifest = push.Manifest;
        if (push.Settings is not { ScanOnPush: true } || manifest.Subject is not null || manifest.ArtifactType is not null)
        {
            return;
        }

        await RequestAsync(push.Repository, new ManifestReference(null, manifest.Digest), null, null, cancellationToken);
    }
}
