using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Registry.Oci;
using Registry.Stores;
using Registry.Records;

namespace Registry.Services;

/// <summary>What one GC run may do: the settings in force, and whether it only reports.</summary>
public sealed record GcRun(bool DryRun, TimeSpan Deadline, TimeSpan ManifestGracePeriod, TimeSpan BlobGracePeriod, TimeSpan UploadLifetime);

/// <summary>What a GC run removed (or, in a dry run, would remove), and where its time went.</summary>
public sealed class GcReport
{
    /// <summary>Most items listed per kind; the counts are always complete.</summary>
    public const int MaxItems = 1000;

    [JsonPropertyName("dryRun")] public bool DryRun { get; init; }

    /// <summary>False when the run stopped at its deadline.</summary>
    [JsonPropertyName("complete")] public bool Complete { get; set; }

    [JsonPropertyName("startedAt")] public DateTimeOffset StartedAt { get; init; }

    [JsonPropertyName("finishedAt")] public DateTimeOffset FinishedAt { get; set; }

    [JsonPropertyName("repositories")] public int Repositories { get; set; }

    [JsonPropertyName("manifestsScanned")] public int ManifestsScanned { get; set; }

    [JsonPropertyName("manifestsDeleted")] public int ManifestsDeleted { get; set; }

    [JsonPropertyName("blobLinksDeleted")] public int BlobLinksDeleted { get; set; }

    [JsonPropertyName("blobsScanned")] public int BlobsScanned { get; set; }

    [JsonPropertyName("blobsDeleted")] public int BlobsDeleted { get; set; }

    [JsonPropertyName("bytesFreed")] public long BytesFreed { get; set; }

    [JsonPropertyName("uploadsExpired")] public int UploadsExpired { get; set; }

    /// <summary>Scan records and scan rows of digests whose content is gone.</summary>
    [JsonPropertyName("scanRecordsDeleted")] public int ScanRecordsDeleted { get; set; }

    /// <summary>
    /// Seconds per phase: <c>uploads</c>; <c>listRepositories</c>; <c>mark</c> (reading manifest, tag and link rows and
    /// finding what is live); <c>sweepManifests</c>, <c>sweepLinks</c>; <c>listContent</c> (the blob listing and the
    /// scan of every link); <c>sweepContent</c>; <c>listScans</c>, <c>sweepScans</c>.
    /// </summary>
    [JsonPropertyName("phases")] public Dictionary<string, double> Phases { get; init; } = [];

    /// <summary>Adds the time since <paramref name="start"/> (a <see cref="Stopwatch"/> timestamp) to a phase.</summary>
    public void Time(string phase, long start)
    {
        lock (Phases)
        {
            Phases[phase] = Math.Round(Phases.GetValueOrDefault(phase) + Stopwatch.GetElapsedTime(start).TotalSeconds, 3);
        }
    }

    /// <summary><c>repository@digest</c> of the manifests removed.</summary>
    [JsonPropertyName("manifests")] public List<string>? Manifests { get; set; } = [];

    /// <summary>Content blobs removed: digest and size.</summary>
    [JsonPropertyName("blobs")] public List<GcBlob>? Blobs { get; set; } = [];

    /// <summary>The counts and times without the item lists (what is kept of the last run).</summary>
    public GcReport Summary()
    {
        var summary = (GcReport)MemberwiseClone();
        summary.Manifests = null;
        summary.Blobs = null;
        return summary;
    }
}

public sealed record GcBlob([property: JsonPropertyName("digest")] string Digest, [property: JsonPropertyName("size")] long Size);

/// <summary>
/// Online garbage collection: pushes and pulls go on while it runs. In order:
/// <list type="number">
/// <item>Upload sessions idle longer than the upload lifetime are removed with their data.</item>
/// <item>Per repository (mark and sweep on metadata only): the live manifests are the tagged ones, the children of
/// live indexes and the referrers of live manifests. Every other manifest whose row was last written longer ago than
/// the manifest grace period is removed. Then every blob link that no remaining manifest names (as a layer, config,
/// child or its own digest) and that is older than the blob grace period is removed.</item>
/// <item>Content blobs that no repository links to and that are older than the blob grace period are removed.</item>
/// <item>Scan records and rows (kept by layer or manifest digest) older than the blob grace period whose digest has no
/// content blob any more are removed.</item>
/// </list>
/// Safety comes from ETags and age, as Harbor's and zot's GC: every delete is conditional on the ETag GC judged by,
/// and a push that reuses something old touches it first (a new ETag), so either the delete fails or the push finds
/// the thing gone and is refused (the client uploads again). Rows and blobs written within a grace period are never
/// candidates, which covers a push between its manifest row and its tag. Listing starts with what may be deleted and
/// reads what keeps it alive afterwards. Its cost grows with the number of rows and blobs, not with stored bytes.
/// </summary>
public sealed partial class GarbageCollector(IMetadataStore metadata, IContentStore content, IScanStore scans, TimeProvider time, ILogger<GarbageCollector> logger)
{
    private const int DeleteParallelism = 16;

    public async Task<GcReport> RunAsync(GcRun run, CancellationToken cancellationToken = default)
    {
        var report = new GcReport { DryRun = run.DryRun, StartedAt = time.GetUtcNow() };
        var deadline = report.StartedAt + run.Deadline;
        var start = Stopwatch.GetTimestamp();
        await ExpireUploadsAsync(run, report, cancellationToken);
        report.Time("uploads", start);

        // Links a dry run would remove, so the content phase can report what would follow from them.
        var droppedLinks = new HashSet<string>(StringComparer.Ordinal);
        var complete = true;
        start = Stopwatch.GetTimestamp();
        var names = await metadata.ListRepositoriesWithContentAsync(cancellationToken);
        report.Time("listRepositories", start);
        foreach (var repository in names)
        {
            if (time.GetUtcNow() > deadline)
            {
                complete = false;
                break;
            }

            if (RepositoryName.TryParse(repository, out var name))
            {
                await CollectRepositoryAsync(name, run, report, droppedLinks, cancellationToken);
                report.Repositories++;
            }
        }

        // Content digests still stored after the content phase (in a dry run: those it would keep).
        var stored = new HashSet<string>(StringComparer.Ordinal);
        if (complete)
        {
            complete = await CollectContentAsync(run, deadline, report, droppedLinks, stored, cancellationToken);
        }

        if (complete)
        {
            complete = await CollectScanRecordsAsync(run, deadline, report, stored, cancellationToken);
        }

        report.Complete = complete;
        report.FinishedAt = time.GetUtcNow();
        LogRun(logger, run.DryRun, complete, report.ManifestsDeleted, report.BlobLinksDeleted, report.BlobsDeleted, report.BytesFreed, report.UploadsExpired,
            report.ScanRecordsDeleted);
        return report;
    }

    private async Task ExpireUploadsAsync(GcRun run, GcReport report, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var blobs = new Dictionary<string, StoredBlob>(StringComparer.Ordinal);
        await foreach (var blob in content.ListUploadsAsync(cancellationToken))
        {
            blobs[blob.Name] = blob;
        }

        foreach (var session in await metadata.ListUploadSessionsAsync(cancellationToken))
        {
            var blob = blobs.GetValueOrDefault(session.Id);
            blobs.Remove(session.Id);
            var lastActivity = blob is null || blob.LastModified < session.StartedAt ? session.StartedAt : blob.LastModified;
            if (now - lastActivity <= run.UploadLifetime)
            {
                continue;
            }

            if (!run.DryRun && (blob is not null && !await content.DeleteIfUnchangedAsync(blob, cancellationToken)
                || !await metadata.DeleteUploadIfUnchangedAsync(session, cancellationToken)))
            {
                continue;   // written meanwhile: the upload is alive after all
            }

            report.UploadsExpired++;
        }

        // Upload data whose session row is gone (a crash between the two deletes of a finished upload).
        foreach (var orphan in blobs.Values.Where(b => now - b.LastModified > run.UploadLifetime))
        {
            if (run.DryRun || await content.DeleteIfUnchangedAsync(orphan, cancellationToken))
            {
                report.UploadsExpired++;
            }
        }
    }

    private async Task CollectRepositoryAsync(
        RepositoryName name, GcRun run, GcReport report, HashSet<string> droppedLinks, CancellationToken cancellationToken)
    {
        // What may be deleted is read before what keeps it alive: a manifest row rewritten after this read has a new
        // ETag, so its conditional delete fails.
        var start = Stopwatch.GetTimestamp();
        var graph = await ManifestGraph.LoadAsync(metadata, content, name, cancellationToken);
        var tags = await metadata.ListTagRecordsAsync(name, cancellationToken);
        var manifests = graph.Manifests;
        report.ManifestsScanned += manifests.Count;

        // Live: the tagged manifests, the children of live indexes and the referrers of live manifests, transitively.
        var live = graph.Reach(tags.Select(t => t.Digest));
        report.Time("mark", start);
        start = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (digest, (row, parsed)) in manifests)
        {
            if (live.Contains(digest) || parsed is null || !IsOlder(row, run.ManifestGracePeriod, now))
            {
                continue;
            }

            if (run.DryRun || await DeleteManifestAsync(name, row, parsed, cancellationToken))
            {
                deleted.Add(digest);
                report.ManifestsDeleted++;
                AddItem(report.Manifests, $"{name}@{digest}");
            }
        }

        report.Time("sweepManifests", start);

        // A manifest that cannot be read names blobs nobody knows: leave this repository's links alone.
        if (manifests.Values.Any(m => m.Parsed is null))
        {
            LogUnreadable(logger, name.Value);
            return;
        }

        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (digest, (_, parsed)) in manifests.Where(m => !deleted.Contains(m.Key)))
        {
            referenced.Add(digest);
            referenced.UnionWith(parsed!.Blobs.Select(b => b.Digest));
            referenced.UnionWith(parsed.Manifests.Select(m => m.Digest));
        }

        start = Stopwatch.GetTimestamp();
        var links = await metadata.ListBlobLinksAsync(name, cancellationToken);
        report.Time("mark", start);
        start = Stopwatch.GetTimestamp();
        var candidates = links.Where(l => !referenced.Contains(l.Digest) && IsOlder(l, run.BlobGracePeriod, now)).ToList();
        var removed = 0;
        await Parallel.ForEachAsync(candidates, Parallelism(cancellationToken), async (link, ct) =>
        {
            if (run.DryRun || await metadata.DeleteBlobLinkIfUnchangedAsync(name, link, ct))
            {
                Interlocked.Increment(ref removed);
                if (run.DryRun)
                {
                    lock (droppedLinks)
                    {
                        droppedLinks.Add($"{name}\n{link.Digest}");
                    }
                }
            }
        });
        report.BlobLinksDeleted += removed;
        report.Time("sweepLinks", start);
    }

    /// <summary>
    /// Removes a manifest row on condition of its ETag. Its referrer row goes first (so no listing shows a referrer
    /// without its manifest) and comes back when the manifest turns out to have been pushed again meanwhile.
    /// </summary>
    private async Task<bool> DeleteManifestAsync(RepositoryName name, ManifestRecord row, ParsedManifest parsed, CancellationToken cancellationToken)
    {
        var subject = parsed.Subject is { } s && Digest.TryParse(s.Digest, out var d) ? d : (Digest?)null;
        if (subject is { } removedFrom)
        {
            await metadata.RemoveReferrerAsync(name, removedFrom, parsed.Digest, cancellationToken);
        }

        if (await metadata.DeleteManifestIfUnchangedAsync(name, row, cancellationToken))
        {
            return true;
        }

        if (subject is { } restoreTo && await metadata.GetManifestOrNullAsync(name, parsed.Digest, cancellationToken) is not null)
        {
            await metadata.AddReferrerAsync(name, restoreTo, parsed, cancellationToken);
        }

        return false;
    }

    /// <param name="stored">Filled with the digests of the content blobs left.</param>
    /// <returns>False when the deadline stopped the phase.</returns>
    private async Task<bool> CollectContentAsync(
        GcRun run, DateTimeOffset deadline, GcReport report, HashSet<string> droppedLinks, HashSet<string> stored, CancellationToken cancellationToken)
    {
        // Candidates (with the ETags the deletes are conditional on) first, then the links that keep them.
        var start = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        var candidates = new List<(StoredBlob Blob, Digest Digest)>();
        await foreach (var blob in content.ListContentAsync(cancellationToken))
        {
            report.BlobsScanned++;
            if (!Digest.TryParse(blob.Name, out var digest))
            {
                continue;
            }

            stored.Add(digest.ToString());
            if (now - blob.LastModified > run.BlobGracePeriod)
            {
                candidates.Add((blob, digest));
            }
        }

        var linked = await metadata.ListLinkedDigestsAsync(run.DryRun ? droppedLinks : null, cancellationToken);
        report.Time("listContent", start);
        start = Stopwatch.GetTimestamp();
        var removed = new ConcurrentBag<GcBlob>();
        var complete = true;
        await Parallel.ForEachAsync(candidates.Where(c => !linked.Contains(c.Digest.ToString())), Parallelism(cancellationToken), async (candidate, ct) =>
        {
            if (time.GetUtcNow() > deadline)
            {
                complete = false;
                return;
            }

            if (run.DryRun || await content.DeleteIfUnchangedAsync(candidate.Blob, ct))
            {
                removed.Add(new GcBlob(candidate.Digest.ToString(), candidate.Blob.Size));
            }
        });

        report.Time("sweepContent", start);
        stored.ExceptWith(removed.Select(b => b.Digest));
        report.BlobsDeleted = removed.Count;
        report.BytesFreed = removed.Sum(b => b.Size);
        foreach (var blob in removed.OrderBy(b => b.Digest, StringComparer.Ordinal).Take(GcReport.MaxItems))
        {
            report.Blobs!.Add(blob);
        }

        return complete;
    }

    /// <summary>
    /// Removes scan records (blobs under <c>scans/v1/</c>) and Scans rows whose digest is not among the content blobs
    /// left, once older than the blob grace period. A digest pushed again since the content listing is checked for
    /// before each delete; a scan writing meanwhile changes the ETag the delete is conditional on.
    /// </summary>
    /// <returns>False when the deadline stopped the phase.</returns>
    private async Task<bool> CollectScanRecordsAsync(GcRun run, DateTimeOffset deadline, GcReport report, HashSet<string> stored, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        bool Orphaned(Digest? digest, DateTimeOffset? written) =>
            digest is { } d && written is { } w && now - w > run.BlobGracePeriod && !stored.Contains(d.ToString());

        var candidates = new List<(Digest Digest, Func<CancellationToken, Task<bool>> DeleteAsync)>();
        await foreach (var record in scans.ListRecordsAsync(cancellationToken))
        {
            var digest = Digest.TryParse(record.Name, out var d) ? d : (Digest?)null;
            if (Orphaned(digest, record.LastModified))
            {
                candidates.Add((digest!.Value, ct => scans.DeleteRecordIfUnchangedAsync(record, ct)));
            }
        }

        foreach (var row in await scans.ListScansAsync(cancellationToken))
        {
            var digest = Digest.TryParse(row.Digest, out var d) ? d : (Digest?)null;
            if (Orphaned(digest, row.WrittenAt))
            {
                candidates.Add((digest!.Value, ct => scans.DeleteScanIfUnchangedAsync(row, ct)));
            }
        }

        report.Time("listScans", start);
        start = Stopwatch.GetTimestamp();
        var removed = 0;
        var complete = true;
        await Parallel.ForEachAsync(candidates, Parallelism(cancellationToken), async (candidate, ct) =>
        {
            if (time.GetUtcNow() > deadline)
            {
                complete = false;
                return;
            }

            if (run.DryRun || (!await content.ExistsAsync(candidate.Digest, ct) && await candidate.DeleteAsync(ct)))
            {
                Interlocked.Increment(ref removed);
            }
        });

        report.Time("sweepScans", start);
        report.ScanRecordsDeleted = removed;
        return complete;
    }

    private static bool IsOlder(StoredRecord row, TimeSpan age, DateTimeOffset now) => row.WrittenAt is { } written && now - written > age;

    private static void AddItem(List<string>? items, string item)
    {
        if (items is { Count: < GcReport.MaxItems })
        {
            items.Add(item);
        }
    }

    private static ParallelOptions Parallelism(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = DeleteParallelism, CancellationToken = cancellationToken };

    [LoggerMessage(Level = LogLevel.Information, Message = "GC (dry run: {DryRun}, complete: {Complete}) removed {Manifests} manifests, {Links} blob links, {Blobs} blobs ({Bytes} bytes), {Uploads} expired uploads, {ScanRecords} scan records")]
    private static partial void LogRun(ILogger logger, bool dryRun, bool complete, int manifests, int links, int blobs, long bytes, int uploads, int scanRecords);

    [LoggerMessage(Level = LogLevel.Warning, Message = "GC left the blob links of {Repository} alone: one of its manifests cannot be read")]
    private static partial void LogUnreadable(ILogger logger, string repository);
}
