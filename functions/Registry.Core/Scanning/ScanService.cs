using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Scanning.Osv;
using Registry.Services;
using Registry.Storage;
using Registry.Storage.Entities;

namespace Registry.Scanning;

/// <summary>A scan job: one image manifest (one platform of an index), as queued.</summary>
public sealed record ScanJob(
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("digest")] string Digest);

/// <summary>An image's inventory: what re-evaluation reads instead of the layers.</summary>
public sealed record ImageInventoryRecord(
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("osRelease")] OsRelease? OsRelease,
    [property: JsonPropertyName("layers")] IReadOnlyList<LayerRef> Layers,
    [property: JsonPropertyName("components")] IReadOnlyList<Component> Components);

public sealed record LayerRef([property: JsonPropertyName("digest")] string Digest, [property: JsonPropertyName("size")] long Size);

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
    public IReadOnlyList<ReportFinding> Visible(IReadOnlyList<ScanOverrideEntity> overrides) =>
        Findings.Where(f => !overrides.Any(o => Hides(o, Inventory.Components[f.Component], f.Advisory))).ToList();

    private static bool Hides(ScanOverrideEntity o, Component component, Advisory advisory) =>
        o.PartitionKey == component.Layer && o.Component == component.Name
        && (o.ComponentVersion.Length == 0 || o.ComponentVersion == component.Version)
        && (o.Cve == advisory.Id || o.Cve == advisory.CveKey || advisory.Aliases.Contains(o.Cve));
}

/// <summary>An image's scan as it is read: its row, and for a completed scan its report and the overrides of its layers.</summary>
public sealed record ScanResult(ScanEntity? Scan, ScanReport? Report, IReadOnlyList<ScanOverrideEntity> Overrides);

/// <summary>One vulnerability of one component (the index into the inventory's components).</summary>
public sealed record ReportFinding(
    [property: JsonPropertyName("component")] int Component,
    [property: JsonPropertyName("advisory")] Advisory Advisory,
    [property: JsonPropertyName("fixedVersion")] string? FixedVersion);

/// <summary>
/// Image scanning: jobs go through a Storage Queue, one per image and platform. A job reads each layer it has not
/// seen before from Blob Storage as a stream and keeps the layer's analysis by digest, merges the layers into the
/// image's inventory (kept too), and matches the inventory against the vulnerability database. After a database
/// update every stored inventory is matched again without reading a layer.
/// </summary>
public sealed partial class ScanService(
    StorageClients clients, IServiceProvider services, MetadataStore metadata, ContentStore content, LayerAnalyzer analyzer, PromotionService promotions,
    VulnerabilityDatabase database, IOptions<ScanOptions> options, TimeProvider time, ILogger<ScanService> logger)
{
    // ManifestService asks for scans on push and scans read manifests: resolved when first needed.
    private ManifestService Manifests => services.GetRequiredService<ManifestService>();

    public const int Failed = 0, Unscanned = 1, Scanning = 2, Pending = 3, Completed = 6;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TableClient _scans = clients.Table(StorageLayout.ScansTable);
    private readonly TableClient _overrides = clients.Table(StorageLayout.ScanOverridesTable);

    /// <summary>
    /// Queues a scan of the image <paramref name="reference"/> names: of each platform of an index, or of those
    /// matching <paramref name="os"/> and <paramref name="architecture"/>. Returns the images queued.
    /// </summary>
    public async Task<IReadOnlyList<ScanEntity>> RequestAsync(
        RepositoryName name, ManifestReference reference, string? os, string? architecture, CancellationToken cancellationToken = default)
    {
        var queued = new List<ScanEntity>();
        foreach (var (digest, imageOs, imageArchitecture) in await ResolveAsync(name, reference, cancellationToken))
        {
            if ((os is not null && os != imageOs) || (architecture is not null && architecture != imageArchitecture))
            {
                continue;
            }

            var scan = await GetOrNullAsync(digest, cancellationToken) ?? new ScanEntity { PartitionKey = digest.ToString(), RowKey = StorageLayout.ScanRow };
            scan.Status = Pending;
            scan.Os = imageOs;
            scan.Architecture = imageArchitecture;
            scan.RequestedAt = time.GetUtcNow();
            await _scans.UpsertEntityAsync(scan, TableUpdateMode.Merge, cancellationToken);
            var queue = clients.Queue(options.Value.Queue);
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queue.SendMessageAsync(JsonSerializer.Serialize(new ScanJob(name.Value, digest.ToString()), Json), cancellationToken);
            queued.Add(scan);
        }

        return queued;
    }

    /// <summary>
    /// After a push to a repository with scanOnPush: queues the image's scan. A failure to queue is logged; the push
    /// has succeeded and a scan can be asked for later.
    /// </summary>
    public async Task OnPushAsync(RepositoryName name, RepositoryEntity? settings, ParsedManifest manifest, CancellationToken cancellationToken = default)
    {
        // Attachments (signatures, SBOMs: anything with a subject or an artifact type) are not images to scan.
        if (settings is not { ScanOnPush: true } || manifest.Subject is not null || manifest.ArtifactType is not null)
        {
            return;
        }

        try
        {
            await RequestAsync(name, new ManifestReference(null, manifest.Digest), null, null, cancellationToken);
        }
        catch (Exception e) when (e is RequestFailedException or InvalidOperationException)
        {
            LogNotQueued(logger, e, name.Value, manifest.Digest.ToString());
        }
    }

    /// <summary>Runs one job. A layer the analyzer refuses fails the scan with the reason; storage errors go up (the queue retries).</summary>
    public async Task RunAsync(ScanJob job, CancellationToken cancellationToken = default)
    {
        if (!RepositoryName.TryParse(job.Repository, out var name) || !Digest.TryParse(job.Digest, out var digest))
        {
            LogBadJob(logger, job.Repository, job.Digest);
            return;
        }

        await _scans.UpsertEntityAsync(new TableEntity(digest.ToString(), StorageLayout.ScanRow)
        {
            ["Status"] = Scanning, ["StartedAt"] = time.GetUtcNow(), ["Error"] = "",
        }, TableUpdateMode.Merge, cancellationToken);
        ImageInventoryRecord inventory;
        try
        {
            inventory = await InventoryAsync(name, digest, cancellationToken);
        }
        catch (Exception e) when (e is LayerRefusedException or Errors.RegistryException)
        {
            await SetStatusAsync(digest, Failed, e.Message, cancellationToken);
            return;
        }

        await WriteAsync(StorageLayout.ScanPath("inventories", digest), inventory, cancellationToken);
        await AttachSbomAsync(name, digest, inventory, cancellationToken);
        await EvaluateAsync(digest, inventory, cancellationToken);
        await promotions.OnScanAsync(name, digest, cancellationToken);
    }

    /// <summary>
    /// What the scans of an image tell policy rules: the counts (without hidden vulnerabilities, as summaries show them)
    /// and names of all its platforms together; null when no platform has a completed scan.
    /// </summary>
    public async Task<ImageFacts?> GetFactsAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<(Digest Digest, string Os, string Architecture)> images;
        try
        {
            images = await ResolveAsync(name, new ManifestReference(null, digest), cancellationToken);
        }
        catch (Errors.RegistryException)
        {
            return null;
        }

        var (critical, major, minor, scanned) = (0, 0, 0, false);
        var components = new HashSet<string>(StringComparer.Ordinal);
        var licenses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var image in images)
        {
            if (await GetResultAsync(image.Digest, cancellationToken) is not { Report: { } report } result)
            {
                continue;
            }

            scanned = true;
            var tally = Cvss.Tally(report.Visible(result.Overrides).Select(f => f.Advisory));
            (critical, major, minor) = (critical + tally.Critical, major + tally.Major, minor + tally.Minor);
            components.UnionWith(report.Inventory.Components.Select(c => c.Name));
            licenses.UnionWith(report.Inventory.Components.Select(c => c.License).OfType<string>());
        }

        return scanned ? new ImageFacts(critical, major, minor, components, licenses) : null;
    }

    /// <summary>Pushes the image's CycloneDX SBOM into its repository as a referrer of the image (idempotent).</summary>
    private async Task AttachSbomAsync(RepositoryName name, Digest digest, ImageInventoryRecord inventory, CancellationToken cancellationToken)
    {
        var image = await Manifests.GetAsync(name, new ManifestReference(null, digest), cancellationToken);
        var sbom = Sbom.CycloneDx(name, digest, inventory);
        foreach (var blob in new[] { sbom, Sbom.EmptyConfig })
        {
            var blobDigest = Digest.ComputeSha256(blob);
            await content.PutAsync(blobDigest, blob, cancellationToken);
            await metadata.LinkBlobAsync(name, blobDigest, blob.Length, cancellationToken);
        }

        var manifest = Sbom.Manifest(Digest.ComputeSha256(sbom), sbom.Length, image.MediaType, digest, image.Content.Length);
        await Manifests.PutAsync(name, new ManifestReference(null, Digest.ComputeSha256(manifest)), manifest, MediaTypes.ImageManifest, [], cancellationToken);
    }

    /// <summary>Imports a new version of the vulnerability database, then matches every stored inventory against it.</summary>
    public async Task<(VulnerabilityDatabaseInfo Info, int Reevaluated)> UpdateDatabaseAsync(Stream source, string origin, CancellationToken cancellationToken = default)
    {
        var limited = new LimitedStream(source, options.Value.MaxDatabaseBytes,
            () => new InvalidDataException($"the vulnerability database is larger than {options.Value.MaxDatabaseBytes} bytes"));
        var info = await database.ImportAsync(limited, origin, cancellationToken);
        return (info, await ReevaluateAllAsync(cancellationToken));
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
        await foreach (var scan in _scans.QueryAsync<ScanEntity>(s => s.Status == Completed, cancellationToken: cancellationToken))
        {
            if (Digest.TryParse(scan.PartitionKey, out var digest)
                && await ReadOrNullAsync<ImageInventoryRecord>(StorageLayout.ScanPath("inventories", digest), cancellationToken) is { } inventory)
            {
                await EvaluateAsync(digest, inventory, cancellationToken);
                count++;
            }
        }

        return count;
    }

    public async Task<ScanEntity?> GetOrNullAsync(Digest digest, CancellationToken cancellationToken = default) =>
        await _scans.GetOrNullAsync<ScanEntity>(digest.ToString(), StorageLayout.ScanRow, cancellationToken);

    /// <summary>The scan of one image: its row (null before any), and once completed its report and layer overrides.</summary>
    public async Task<ScanResult> GetResultAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var scan = await GetOrNullAsync(digest, cancellationToken);
        var report = scan?.Status == Completed ? await ReadOrNullAsync<ScanReport>(StorageLayout.ScanPath("reports", digest), cancellationToken) : null;
        var overrides = report is null ? [] : await ListOverridesAsync(report.Inventory.Layers.Select(l => l.Digest), cancellationToken);
        return new ScanResult(scan, report, overrides);
    }

    // ---- hidden vulnerabilities (DTR's layer overrides) -------------------------------------------------

    public async Task<IReadOnlyList<ScanOverrideEntity>> ListOverridesAsync(CancellationToken cancellationToken = default) =>
        await _overrides.QueryAsync<ScanOverrideEntity>(cancellationToken: cancellationToken).TakeAsync(10_000, cancellationToken);

    /// <summary>The overrides of the given layers.</summary>
    private async Task<IReadOnlyList<ScanOverrideEntity>> ListOverridesAsync(IEnumerable<string> layers, CancellationToken cancellationToken = default)
    {
        var found = new List<ScanOverrideEntity>();
        foreach (var layer in layers.Distinct())
        {
            found.AddRange(await _overrides.QueryAsync<ScanOverrideEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {layer}"), cancellationToken: cancellationToken)
                .TakeAsync(1000, cancellationToken));
        }

        return found;
    }

    public async Task<ScanOverrideEntity> AddOverrideAsync(Digest layer, string component, string componentVersion, string cve, string notes, string createdBy, CancellationToken cancellationToken = default)
    {
        var entity = new ScanOverrideEntity
        {
            PartitionKey = layer.ToString(),
            RowKey = Guid.NewGuid().ToString("N"),
            Component = component,
            ComponentVersion = componentVersion,
            Cve = cve,
            Notes = notes,
            CreatedBy = createdBy,
            CreatedAt = time.GetUtcNow(),
        };
        await _overrides.AddEntityAsync(entity, cancellationToken);
        return entity;
    }

    /// <summary>Removes an override by id; false when there is none.</summary>
    public async Task<bool> DeleteOverrideAsync(string id, CancellationToken cancellationToken = default)
    {
        var found = await _overrides.QueryAsync<ScanOverrideEntity>(TableClient.CreateQueryFilter($"RowKey eq {id}"), cancellationToken: cancellationToken)
            .TakeAsync(1, cancellationToken);
        if (found.Count == 0)
        {
            return false;
        }

        await _overrides.DeleteEntityAsync(found[0].PartitionKey, found[0].RowKey, ETag.All, cancellationToken);
        return true;
    }

    /// <summary>The images of a reference with their platforms: the children of an index, or the image itself.</summary>
    public async Task<IReadOnlyList<(Digest Digest, string Os, string Architecture)>> ResolveAsync(
        RepositoryName name, ManifestReference reference, CancellationToken cancellationToken = default)
    {
        var stored = await Manifests.GetAsync(name, reference, cancellationToken);
        var parsed = ManifestParser.Parse(stored.Content, stored.MediaType);
        if (!MediaTypes.IsIndex(parsed.MediaType))
        {
            var (os, architecture) = await PlatformOfAsync(parsed, cancellationToken);
            return [(stored.Digest, os, architecture)];
        }

        return parsed.Manifests
            .Where(m => Digest.TryParse(m.Digest, out _))
            .Select(m => (Digest.TryParse(m.Digest, out var d) ? d : default, Text(m.Platform, "os"), Text(m.Platform, "architecture")))
            .Where(m => m.Item2 != "unknown")   // attestation manifests of BuildKit
            .ToList();
    }

    private async Task<ImageInventoryRecord> InventoryAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken)
    {
        var stored = await Manifests.GetAsync(name, new ManifestReference(null, digest), cancellationToken);
        var parsed = ManifestParser.Parse(stored.Content, stored.MediaType);
        var (os, architecture) = await PlatformOfAsync(parsed, cancellationToken);
        var layers = new List<(string, LayerAnalysis)>();
        var refs = new List<LayerRef>();
        foreach (var layer in parsed.Blobs.Skip(1).Where(b => b.Urls is not { Count: > 0 } && Digest.TryParse(b.Digest, out _)))
        {
            Digest.TryParse(layer.Digest, out var layerDigest);
            var path = StorageLayout.ScanPath("layers", layerDigest);
            var analysis = await ReadOrNullAsync<LayerAnalysis>(path, cancellationToken);
            if (analysis is null)
            {
                await using var stream = await content.OpenReadAsync(layerDigest, default, cancellationToken);
                analysis = await analyzer.AnalyzeAsync(stream, cancellationToken);
                await WriteAsync(path, analysis, cancellationToken);
            }

            layers.Add((layer.Digest, analysis));
            refs.Add(new LayerRef(layer.Digest, layer.Size));
        }

        var (components, osRelease) = ImageInventory.Merge(layers);
        return new ImageInventoryRecord(os, architecture, osRelease, refs, components);
    }

    private async Task EvaluateAsync(Digest digest, ImageInventoryRecord inventory, CancellationToken cancellationToken)
    {
        var info = await database.GetInfoAsync(cancellationToken);
        var findings = await database.MatchAsync(inventory.Components, cancellationToken);
        var index = new Dictionary<Component, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < inventory.Components.Count; i++)
        {
            index[inventory.Components[i]] = i;
        }

        var report = new ScanReport(info?.Version, inventory, findings.Select(f => new ReportFinding(index[f.Component], f.Advisory, f.FixedVersion)).ToList());
        await WriteAsync(StorageLayout.ScanPath("reports", digest), report, cancellationToken);

        var scan = await GetOrNullAsync(digest, cancellationToken) ?? new ScanEntity { PartitionKey = digest.ToString(), RowKey = StorageLayout.ScanRow };
        scan.Status = Completed;
        scan.Os = inventory.Os;
        scan.Architecture = inventory.Architecture;
        scan.CompletedAt = time.GetUtcNow();
        scan.DatabaseVersion = info?.Version;
        scan.Error = null;
        await _scans.UpsertEntityAsync(scan, TableUpdateMode.Replace, cancellationToken);
    }

    private async Task SetStatusAsync(Digest digest, int status, string? error, CancellationToken cancellationToken) =>
        await _scans.UpsertEntityAsync(new TableEntity(digest.ToString(), StorageLayout.ScanRow) { ["Status"] = status, ["Error"] = error ?? "" },
            TableUpdateMode.Merge, cancellationToken);

    /// <summary>An image's platform from its config blob (small, read whole).</summary>
    private async Task<(string Os, string Architecture)> PlatformOfAsync(ParsedManifest manifest, CancellationToken cancellationToken)
    {
        if (manifest.Blobs.Count == 0 || !Digest.TryParse(manifest.Blobs[0].Digest, out var config) || manifest.Blobs[0].Size > 1024 * 1024)
        {
            return ("unknown", "unknown");
        }

        try
        {
            using var document = JsonDocument.Parse(await content.ReadAllAsync(config, cancellationToken));
            return (Text(document.RootElement, "os"), Text(document.RootElement, "architecture"));
        }
        catch (Exception e) when (e is JsonException or RequestFailedException)
        {
            return ("unknown", "unknown");
        }
    }

    private static string Text(JsonElement? element, string property) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : "unknown";

    private async Task WriteAsync<T>(string path, T value, CancellationToken cancellationToken) =>
        await clients.Container.GetBlobClient(path).UploadAsync(BinaryData.FromObjectAsJson(value, Json), overwrite: true, cancellationToken);

    private async Task<T?> ReadOrNullAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var result = await clients.Container.GetBlobClient(path).DownloadContentAsync(cancellationToken);
            return result.Value.Content.ToObjectFromJson<T>(Json);
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The scan on push of {Repository}@{Digest} could not be queued")]
    private static partial void LogNotQueued(ILogger logger, Exception exception, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scan job for {Repository}@{Digest} is not valid; dropped")]
    private static partial void LogBadJob(ILogger logger, string repository, string digest);
}
