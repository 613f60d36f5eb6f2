using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Scanning.Osv;
using Registry.Services;
using Registry.Stores;
using Registry.Records;

namespace Registry.Scanning;

/// <summary>A scan job: one image manifest (one platform of an index), as queued.</summary>
public sealed record ScanJob(
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("requestedAt")] DateTimeOffset? RequestedAt = null);

/// <summary>
/// An image's inventory: what re-evaluation reads instead of the layers, and the files of its final filesystem that
/// could not be read (a scan with such files is completed, and says what it skipped).
/// </summary>
public sealed record ImageInventoryRecord(
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("osRelease")] OsRelease? OsRelease,
    [property: JsonPropertyName("layers")] IReadOnlyList<LayerRef> Layers,
    [property: JsonPropertyName("components")] IReadOnlyList<Component> Components,
    [property: JsonPropertyName("skipped")] IReadOnlyList<ScanSkip>? Skipped = null);

/// <summary>A layer of a scanned image: its media type, and who made it (from the image's history); empty in inventories made before they were kept.</summary>
public sealed record LayerRef(
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("mediaType")] string MediaType = "",
    [property: JsonPropertyName("author")] string Author = "");

/// <summary>An image's report: its components and the vulnerabilities that affect them.</summary>
public sealed record ScanReport(
    [property: JsonPropertyName("databaseVersion")] string? DatabaseVersion,
    [property: JsonPropertyName("inventory")] ImageInventoryRecord Inventory,
    [property: JsonPropertyName("findings")] IReadOnlyList<ReportFinding> Findings)
{
    /// <summary>
    /// The findings no override hides. An override (DTR's layer override) names a layer, a component, optionally its
    /// version, and a CVE or advisory id.
    /// </summary>
    public IReadOnlyList<ReportFinding> Visible(IReadOnlyList<ScanOverride> overrides) =>
        Findings.Where(f => !overrides.Any(o => Hides(o, Inventory.Components[f.Component], f.Advisory))).ToList();

    private static bool Hides(ScanOverride o, Component component, Advisory advisory) =>
        o.Layer == component.Layer && o.Component == component.Name
        && (o.ComponentVersion.Length == 0 || o.ComponentVersion == component.Version)
        && (o.Cve == advisory.Id || o.Cve == advisory.CveKey || advisory.Aliases.Contains(o.Cve));
}

/// <summary>An image's scan as it is read: its row, and for a completed scan its report and the overrides of its layers.</summary>
public sealed record ScanResult(ImageScan? Scan, ScanReport? Report, IReadOnlyList<ScanOverride> Overrides);

/// <summary>One vulnerability of one component (the index into the inventory's components).</summary>
public sealed record ReportFinding(
    [property: JsonPropertyName("component")] int Component,
    [property: JsonPropertyName("advisory")] Advisory Advisory,
    [property: JsonPropertyName("fixedVersion")] string? FixedVersion);

/// <summary>
/// Image scanning, the running half (<see cref="ScanQueue"/> asks, <see cref="ScanResults"/> reads): a job from the
/// Storage Queue, one per image and platform, reads each layer it has not seen before from Blob Storage as a stream
/// and keeps the layer's analysis by digest, merges the layers into the image's inventory (kept too), and matches the
/// inventory against the vulnerability database; then the SBOM is attached and the promotion policies with scan rules
/// run (their pushes through the after-push steps), and so do the signing and push mirroring policies with scan rules. After a database
/// update every stored inventory is matched again without reading a layer.
/// </summary>
public sealed partial class ScanService(
    IScanStore store, ManifestService manifests, ScanResults results, ImageConfigReader configs, IContentStore content, LayerAnalyzer analyzer,
    PromotionService promotions, Signing.SigningPolicyService signing, Mirroring.MirroringPolicyService mirroring, PushPipeline pipeline, VulnerabilityDatabase database,
    Events.EventService events, IOptions<ScanOptions> options, TimeProvider time,
    ILogger<ScanService> logger)
{
    public const int Failed = 0, Unscanned = 1, Scanning = 2, Pending = 3, Completed = 6;


    /// <summary>Runs one job. A layer the analyzer refuses fails the scan with the reason; storage errors go up (the queue retries).</summary>
    public async Task RunAsync(ScanJob job, CancellationToken cancellationToken = default)
    {
        if (!RepositoryName.TryParse(job.Repository, out var name) || !Digest.TryParse(job.Digest, out var digest))
        {
            LogBadJob(logger, job.Repository, job.Digest);
            return;
        }

        await store.SetStatusAsync(digest, Scanning, null, time.GetUtcNow(), cancellationToken);
        ImageInventoryRecord inventory;
        try
        {
            inventory = await InventoryAsync(name, digest, cancellationToken);
        }
        catch (Exception e) when (e is LayerRefusedException or Errors.RegistryException)
        {
            await SetStatusAsync(digest, Failed, e.Message, cancellationToken);
            LogScanFailed(logger, name.Value, digest.ToString(), e.Message);
            await RaiseScanEventAsync(name, digest, null, e.Message, cancellationToken);
            return;
        }

        await store.WriteRecordAsync("inventories", digest, inventory, cancellationToken);
        await AttachSbomAsync(name, digest, inventory, cancellationToken);
        var (report, scan) = await EvaluateAsync(digest, inventory, cancellationToken);
        LogScanned(logger, name.Value, digest.ToString(), inventory.Components.Count, report.Findings.Count, inventory.Skipped?.Count ?? 0, report.DatabaseVersion ?? "none");
        await RaiseScanEventAsync(name, digest, (report, scan), null, cancellationToken);
        await pipeline.RunStepsAsync(await promotions.OnScanAsync(name, digest, cancellationToken), cancellationToken);
        await signing.OnScanAsync(name, digest, cancellationToken);
        await mirroring.OnScanAsync(name, digest, cancellationToken);
    }

    /// <summary>Pushes the image's CycloneDX SBOM into its repository as a referrer of the image (idempotent).</summary>
    private async Task AttachSbomAsync(RepositoryName name, Digest digest, ImageInventoryRecord inventory, CancellationToken cancellationToken)
    {
        var image = await manifests.GetAsync(name, new ManifestReference(null, digest), cancellationToken);
        var sbom = Sbom.CycloneDx(name, digest, inventory);
        var manifest = Sbom.Manifest(Digest.ComputeSha256(sbom), sbom.Length, image.MediaType, digest, image.Content.Length);
        await manifests.PutArtifactAsync(name, [sbom, MediaTypes.EmptyJsonContent], manifest, cancellationToken);
    }

    /// <summary>Imports a new version of the vulnerability database, then matches every stored inventory against it.</summary>
    public async Task<(VulnerabilityDatabaseInfo Info, int Reevaluated)> UpdateDatabaseAsync(Stream source, string origin, CancellationToken cancellationToken = default)
    {
        var limited = new LimitedStream(source, options.Value.MaxDatabaseBytes,
            () => new InvalidDataException($"the vulnerability database is larger than {options.Value.MaxDatabaseBytes} bytes"));
        VulnerabilityDatabaseInfo info;
        try
        {
            info = await database.ImportAsync(limited, origin, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await RaiseDatabaseEventAsync(null, e.Message, cancellationToken);
            throw;
        }

        var reevaluated = await ReevaluateAllAsync(cancellationToken);
        await RaiseDatabaseEventAsync(info, null, cancellationToken);
        return (info, reevaluated);
    }

    /// <summary>The scanner's version as events name it: the registry's build.</summary>
    private static readonly string ScannerVersion = typeof(ScanService).Assembly.GetName().Version?.ToString() ?? "";

    /// <summary>
    /// DTR's SCANNER_UPDATE_COMPLETED: <c>{scanner_version, db_version, db_updated_at, success, replicas}</c> (no
    /// replicas here: every instance reads the one database), and the registry's <c>source</c>, <c>advisories</c>, <c>error</c>.
    /// </summary>
    private async Task RaiseDatabaseEventAsync(VulnerabilityDatabaseInfo? info, string? error, CancellationToken cancellationToken)
    {
        if (!await events.WantsAsync(Events.EventTypes.ScannerUpdateCompleted, "", cancellationToken))
        {
            return;
        }

        var at = time.GetUtcNow();
        await events.RaiseAsync(events.GlobalEvent(Events.EventTypes.ScannerUpdateCompleted, "vulnerability-database", new System.Text.Json.Nodes.JsonObject
        {
            ["scanner_version"] = ScannerVersion,
            ["db_version"] = info?.Version ?? "",
            ["db_updated_at"] = Events.RegistryEvent.FormatTime(info?.UpdatedAt ?? at),
            ["success"] = info is not null,
            ["replicas"] = new System.Text.Json.Nodes.JsonObject(),
            ["source"] = info?.Source ?? "",
            ["advisories"] = info?.Advisories ?? 0,
            ["error"] = error ?? "",
        }, info?.Version ?? $"failed\n{at.UtcTicks}"), cancellationToken);
    }

    /// <summary>The online refresh: downloads Registry:Scan:DatabaseUrl and updates from it; null when no address is set.</summary>
    public async Task<(VulnerabilityDatabaseInfo Info, int Reevaluated)?> RefreshDatabaseAsync(CancellationToken cancellationToken = default)
    {
        if (options.Value.DatabaseUrl is not { IsAbsoluteUri: true } url)
        {
            return null;
        }

        using var response = await Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        // The origin is kept without its query: an address may carry a SAS token.
        return await UpdateDatabaseAsync(body, url.GetLeftPart(UriPartial.Path), cancellationToken);
    }

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(10) };

    /// <summary>Matches every stored inventory again (after a database update); returns how many images.</summary>
    public async Task<int> ReevaluateAllAsync(CancellationToken cancellationToken = default)
    {
        var count = 0;
        await foreach (var scan in store.ListByStatusAsync(Completed, cancellationToken))
        {
            if (Digest.TryParse(scan.Digest, out var digest)
                && await store.ReadRecordOrNullAsync<ImageInventoryRecord>("inventories", digest, cancellationToken) is { } inventory)
            {
                await EvaluateAsync(digest, inventory, cancellationToken);
                count++;
            }
        }

        return count;
    }

    private async Task<ImageInventoryRecord> InventoryAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken)
    {
        var stored = await manifests.GetAsync(name, new ManifestReference(null, digest), cancellationToken);
        var parsed = ManifestParser.Parse(stored.Content, stored.MediaType);
        var config = await configs.ReadOrNullAsync(parsed, cancellationToken);
        var (os, architecture) = ScanResults.PlatformOf(config);
        var authors = config?.LayerAuthors(parsed.Blobs.Count - 1) ?? [];
        var layers = new List<(string, LayerAnalysis)>();
        var refs = new List<LayerRef>();
        foreach (var (layer, index) in parsed.Blobs.Skip(1).Select((b, i) => (b, i)).Where(x => x.b.Urls is not { Count: > 0 } && Digest.TryParse(x.b.Digest, out _)))
        {
            Digest.TryParse(layer.Digest, out var layerDigest);
            var analysis = await store.ReadRecordOrNullAsync<LayerAnalysis>("layers", layerDigest, cancellationToken);
            if (analysis is null || analysis.Analyzer < LayerAnalyzer.Version)
            {
                await using var stream = await content.OpenReadAsync(layerDigest, default, cancellationToken);
                analysis = await analyzer.AnalyzeAsync(stream, cancellationToken);
                await store.WriteRecordAsync("layers", layerDigest, analysis, cancellationToken);
            }

            layers.Add((layer.Digest, analysis));
            refs.Add(new LayerRef(layer.Digest, layer.Size, layer.MediaType, index < authors.Count ? authors[index] : ""));
        }

        var (components, osRelease, skipped) = ImageInventory.Merge(layers);
        return new ImageInventoryRecord(os, architecture, osRelease, refs, components, skipped);
    }

    /// <summary>
    /// SCAN_COMPLETED with DTR's <c>scanSummary</c> (counts without hidden vulnerabilities, status, completion time), or
    /// SCAN_FAILED with the reason: the image fields as the image events have them, and <c>scannedAt</c>.
    /// </summary>
    private async Task RaiseScanEventAsync(RepositoryName name, Digest digest, (ScanReport Report, ImageScan Scan)? completed, string? error, CancellationToken cancellationToken)
    {
        var type = completed is null ? Events.EventTypes.ScanFailed : Events.EventTypes.ScanCompleted;
        if (!await events.WantsAsync(type, name.Value, cancellationToken))
        {
            return;
        }

        var key = completed is { } c ? $"{c.Scan.CompletedAt?.UtcTicks}\n{c.Report.DatabaseVersion}" : $"failed\n{time.GetUtcNow().UtcTicks}";
        var raised = await events.ImageEventAsync(type, name, null, digest,
            null, null, "scannedAt", key, cancellationToken);
        if (completed is { } done)
        {
            var overrides = await store.ListOverridesAsync(done.Report.Inventory.Layers.Select(l => l.Digest), cancellationToken);
            var (critical, major, minor, _) = Cvss.Tally(done.Report.Visible(overrides).Select(f => f.Advisory));
            raised.Contents["os"] = done.Scan.Os ?? "";
            raised.Contents["architecture"] = done.Scan.Architecture ?? "";
            raised.Contents["scanSummary"] = new System.Text.Json.Nodes.JsonObject
            {
                ["critical"] = critical, ["major"] = major, ["minor"] = minor, ["last_scan_status"] = Completed,
                ["check_completed_at"] = done.Scan.CompletedAt is { } at ? Events.RegistryEvent.FormatTime(at) : null,
            };
        }
        else
        {
            raised.Contents["error"] = error;
        }

        await events.RaiseAsync(raised, cancellationToken);
    }

    private async Task<(ScanReport Report, ImageScan Scan)> EvaluateAsync(Digest digest, ImageInventoryRecord inventory, CancellationToken cancellationToken)
    {
        var info = await database.GetInfoAsync(cancellationToken);
        var findings = await database.MatchAsync(inventory.Components, cancellationToken);
        var index = new Dictionary<Component, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < inventory.Components.Count; i++)
        {
            index[inventory.Components[i]] = i;
        }

        var report = new ScanReport(info?.Version, inventory, findings.Select(f => new ReportFinding(index[f.Component], f.Advisory, f.FixedVersion)).ToList());
        await store.WriteRecordAsync("reports", digest, report, cancellationToken);

        var scan = await results.GetOrNullAsync(digest, cancellationToken) ?? new ImageScan { Digest = digest.ToString() };
        scan.Status = Completed;
        scan.Os = inventory.Os;
        scan.Architecture = inventory.Architecture;
        scan.CompletedAt = time.GetUtcNow();
        scan.DatabaseVersion = info?.Version;
        scan.Error = null;
        await store.SaveScanAsync(scan, merge: false, cancellationToken);
        return (report, scan);
    }

    private async Task SetStatusAsync(Digest digest, int status, string? error, CancellationToken cancellationToken) =>
        await store.SetStatusAsync(digest, status, error, null, cancellationToken);


    [LoggerMessage(Level = LogLevel.Information, Message = "Scanned {Repository}@{Digest}: {Components} components, {Findings} findings, {Skipped} files skipped (database {Database})")]
    private static partial void LogScanned(ILogger logger, string repository, string digest, int components, int findings, int skipped, string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "The scan of {Repository}@{Digest} failed: {Reason}")]
    private static partial void LogScanFailed(ILogger logger, string repository, string digest, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scan job for {Repository}@{Digest} is not valid; dropped")]
    private static partial void LogBadJob(ILogger logger, string repository, string digest);
}
