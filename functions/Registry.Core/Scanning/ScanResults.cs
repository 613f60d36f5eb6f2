using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Registry.Oci;
using Registry.Services;
using Registry.Storage;
using Registry.Storage.Entities;

namespace Registry.Scanning;

/// <summary>
/// What scans found, read: an image's scan row and report, the hidden vulnerabilities (DTR's layer overrides), the
/// facts policy rules judge, and the images (platforms) a reference names. Writes only overrides.
/// </summary>
public sealed class ScanResults(StorageClients clients, ManifestService manifests, ContentStore content, TimeProvider time)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TableClient _scans = clients.Table(StorageLayout.ScansTable);
    private readonly TableClient _overrides = clients.Table(StorageLayout.ScanOverridesTable);

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

    public async Task<ScanEntity?> GetOrNullAsync(Digest digest, CancellationToken cancellationToken = default) =>
        await _scans.GetOrNullAsync<ScanEntity>(digest.ToString(), StorageLayout.ScanRow, cancellationToken);

    /// <summary>The scan of one image: its row (null before any), and once completed its report and layer overrides.</summary>
    public async Task<ScanResult> GetResultAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var scan = await GetOrNullAsync(digest, cancellationToken);
        var report = scan?.Status == ScanService.Completed ? await ReadOrNullAsync<ScanReport>(StorageLayout.ScanPath("reports", digest), cancellationToken) : null;
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
        var stored = await manifests.GetAsync(name, reference, cancellationToken);
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

    /// <summary>An image's platform from its config blob (small, read whole).</summary>
    internal async Task<(string Os, string Architecture)> PlatformOfAsync(ParsedManifest manifest, CancellationToken cancellationToken)
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

    internal static string Text(JsonElement? element, string property) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : "unknown";

    internal async Task<T?> ReadOrNullAsync<T>(string path, CancellationToken cancellationToken)
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
}
