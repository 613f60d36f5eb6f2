using System.Text.Json;
using Registry.Oci;
using Registry.Services;
using Registry.Stores;
using Registry.Records;

namespace Registry.Scanning;

/// <summary>
/// What scans found, read: an image's scan row and report, the hidden vulnerabilities (DTR's layer overrides), the
/// facts policy rules judge, and the images (platforms) a reference names. Writes only overrides.
/// </summary>
public sealed class ScanResults(IScanStore store, ManifestService manifests, ImageConfigReader configs, TimeProvider time)
{
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

    public Task<ImageScan?> GetOrNullAsync(Digest digest, CancellationToken cancellationToken = default) =>
        store.GetScanOrNullAsync(digest, cancellationToken);

    /// <summary>The scan of one image: its row (null before any), and once completed its report and layer overrides.</summary>
    public async Task<ScanResult> GetResultAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var scan = await GetOrNullAsync(digest, cancellationToken);
        var report = scan?.Status == ScanService.Completed ? await store.ReadRecordOrNullAsync<ScanReport>("reports", digest, cancellationToken) : null;
        var overrides = report is null ? [] : await store.ListOverridesAsync(report.Inventory.Layers.Select(l => l.Digest), cancellationToken);
        return new ScanResult(scan, report, overrides);
    }

    // ---- hidden vulnerabilities (DTR's layer overrides) -------------------------------------------------

    public Task<IReadOnlyList<ScanOverride>> ListOverridesAsync(CancellationToken cancellationToken = default) =>
        store.ListOverridesAsync(cancellationToken);

    public Task<ScanOverride> AddOverrideAsync(
        Digest layer, string component, string componentVersion, string cve, string notes, string createdBy, CancellationToken cancellationToken = default) =>
        store.AddOverrideAsync(layer, new ScanOverride
        {
            Component = component,
            ComponentVersion = componentVersion,
            Cve = cve,
            Notes = notes,
            CreatedBy = createdBy,
            CreatedAt = time.GetUtcNow(),
        }, cancellationToken);

    /// <summary>Removes an override by id; false when there is none.</summary>
    public Task<bool> DeleteOverrideAsync(string id, CancellationToken cancellationToken = default) =>
        store.DeleteOverrideAsync(id, cancellationToken);

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

    /// <summary>Whether an image has foreign layers (with URLs, pulled from elsewhere), which scans do not read.</summary>
    public async Task<bool> HasForeignLayersAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        var stored = await manifests.GetAsync(name, new ManifestReference(null, digest), cancellationToken);
        return ManifestParser.Parse(stored.Content, stored.MediaType).Blobs.Skip(1).Any(b => b.Urls is { Count: > 0 });
    }

    /// <summary>An image's platform from its config; <c>unknown</c> where the config does not say.</summary>
    internal async Task<(string Os, string Architecture)> PlatformOfAsync(ParsedManifest manifest, CancellationToken cancellationToken) =>
        PlatformOf(await configs.ReadOrNullAsync(manifest, cancellationToken));

    internal static (string Os, string Architecture) PlatformOf(ImageConfig? config) =>
        (config is { Os.Length: > 0 } ? config.Os : "unknown", config is { Architecture.Length: > 0 } ? config.Architecture : "unknown");

    internal static string Text(JsonElement? element, string property) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : "unknown";
}
