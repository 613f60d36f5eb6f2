using Registry.Auth;
using Registry.Errors;
using Registry.Oci;
using Registry.Scanning;
using Registry.Records;

namespace Registry.Dtr;

/// <summary>
/// DTR's image scanning API (<c>/api/v0/imagescan</c>): starting scans (write access), scan summaries (read access),
/// the scanner's status, and updating the vulnerability database (system administrators).
/// </summary>
public sealed class ScanApiService(
    RepositoryApiService repositories, ScanQueue queue, ScanResults results, ScanService scans, VulnerabilityDatabase database)
{
    /// <summary>Queues scans of the image a tag or digest names, of one platform or of all.</summary>
    public async Task<ScanSubmitted> ScanAsync(Principal principal, string ns, string repo, string reference, string? os, string? architecture, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadWrite, cancellationToken);
        var queued = await OrNoSuchTagAsync(() => queue.RequestAsync(name, Reference(name, reference), os, architecture, cancellationToken), reference);
        if (queued.Count == 0)
        {
            throw new DtrException(DtrError.NoSuchTag, os is null && architecture is null
                ? $"{name}:{reference} is an index without an image of a known platform"
                : $"{name}:{reference} has no image for {os ?? "any os"}/{architecture ?? "any architecture"}");
        }

        return new ScanSubmitted("submitted to the scan queue", queued.Select(s => s.Digest).ToList());
    }

    /// <summary>The scan of each platform of an image (or the one asked for), in DTR's shape.</summary>
    public async Task<IReadOnlyList<ScanSummaryView>> GetSummaryAsync(Principal principal, string ns, string repo, string reference, string? os, string? architecture, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var images = await OrNoSuchTagAsync(() => results.ResolveAsync(name, Reference(name, reference), cancellationToken), reference);
        var views = new List<ScanSummaryView>();
        foreach (var (digest, imageOs, imageArchitecture) in images)
        {
            if ((os is not null && os != imageOs) || (architecture is not null && architecture != imageArchitecture))
            {
                continue;
            }

            var (scan, report, overrides) = await results.GetResultAsync(digest, cancellationToken);
            var image = scan is null || report is null
                ? null
                : View(name, reference.Contains(':', StringComparison.Ordinal) ? null : reference, digest, scan, report, overrides);
            views.Add(new ScanSummaryView(scan?.Status ?? ScanService.Unscanned, scan?.Status == ScanService.Failed, scan?.Error is { Length: > 0 } e ? e : null, image));
        }

        return views;
    }

    /// <summary>
    /// DTR's older summary (<c>/imagescan/repositories/…</c>, which CI scripts poll until <c>check_completed_at</c> is
    /// set): the counts per platform, and with <paramref name="detailed"/> the layers and their components.
    /// </summary>
    public async Task<IReadOnlyList<LegacyScanView>> GetLegacySummaryAsync(Principal principal, string ns, string repo, string reference, bool detailed, CancellationToken cancellationToken = default)
    {
        var summaries = await GetSummaryAsync(principal, ns, repo, reference, null, null, cancellationToken);
        return summaries.Select(s => s.ScannedImage is { } image
            ? new LegacyScanView(ns, repo, reference, image.TotalVulnCount.Critical, image.TotalVulnCount.Major, image.TotalVulnCount.Minor,
                s.ScanStatus, image.CheckCompletedAt ?? DateTimeOffset.MinValue, s.ShouldRescan, detailed ? image.Layers : null)
            : new LegacyScanView(ns, repo, reference, 0, 0, 0, s.ScanStatus, DateTimeOffset.MinValue, s.ShouldRescan, null)).ToList();
    }

    /// <summary>
    /// DTR's batch of counts: for each image (<c>{name: "ns/repo", digest}</c>) the caller may read and that has a
    /// completed scan, its counts under <c>name@digest</c>; the others are left out.
    /// </summary>
    public async Task<BatchCountsView> GetCountsAsync(Principal principal, BatchCountsRequest body, CancellationToken cancellationToken = default)
    {
        if (body.Images is not { Count: <= 100 } images)
        {
            throw new DtrException(DtrError.InvalidFormField, "images: at most 100 {name, digest} entries");
        }

        var counts = new Dictionary<string, VulnCountView>(StringComparer.Ordinal);
        foreach (var image in images)
        {
            var parts = image?.Name?.Split('/');
            if (parts is not [var ns, var repo] || !Digest.TryParse(image!.Digest, out _))
            {
                throw new DtrException(DtrError.InvalidFormField, "each image needs a name (namespace/repository) and a digest");
            }

            try
            {
                foreach (var summary in await GetSummaryAsync(principal, ns, repo, image.Digest!, null, null, cancellationToken))
                {
                    if (summary.ScannedImage is { } scanned)
                    {
                        counts[$"{image.Name}@{scanned.ManifestDigest}"] = scanned.TotalVulnCount;
                    }
                }
            }
            catch (DtrException e) when (e.Error is DtrError.NoSuchRepository or DtrError.NoSuchTag or DtrError.NotAuthorized or DtrError.NotAuthenticated)
            {
                // Not visible or not there: left out, as for an image without a scan.
            }
        }

        return new BatchCountsView(counts);
    }

    public async Task<ScannerStatusView> GetStatusAsync(Principal principal, CancellationToken cancellationToken = default)
    {
        var info = await database.GetInfoAsync(cancellationToken);
        return new ScannerStatusView(info is null ? "no database" : "ready", info?.Version, info?.UpdatedAt, info?.Source, info?.Advisories ?? 0, info?.Ecosystems ?? []);
    }

    /// <summary>DTR's database update: an uploaded file (offline), or the configured address (<c>online</c>).</summary>
    public async Task<ScannerStatusView> UpdateDatabaseAsync(Principal principal, Stream? upload, bool online, CancellationToken cancellationToken = default)
    {
        try
        {
            if (online)
            {
                _ = await scans.RefreshDatabaseAsync(cancellationToken)
                    ?? throw new DtrException(DtrError.InvalidParameter, "no online address is configured (Registry:Scan:DatabaseUrl)");
            }
            else
            {
                await scans.UpdateDatabaseAsync(upload ?? throw new DtrException(DtrError.InvalidParameter, "a file is required"), "upload", cancellationToken);
            }
        }
        catch (Exception e) when (e is InvalidDataException or HttpRequestException)
        {
            throw new DtrException(DtrError.InvalidParameter, $"the vulnerability database could not be read: {e.Message}");
        }

        return await GetStatusAsync(principal, cancellationToken);
    }

    /// <summary>
    /// DTR's scanned image. Hidden vulnerabilities (overrides of a layer's component and CVE) are left out of the
    /// lists and of the counts, which are per distinct CVE in DTR's bands.
    /// </summary>
    private static ScannedImageView View(
        RepositoryName name, string? tag, Digest digest, ImageScan scan, ScanReport report, IReadOnlyList<ScanOverride> overrides)
    {
        var inventory = report.Inventory;
        var visible = report.Visible(overrides);
        var byComponent = visible.ToLookup(f => f.Component);
        var cves = visible
            .GroupBy(f => f.Advisory.CveKey)
            .Select(g => g.OrderByDescending(f => f.Advisory.CvssScore ?? 0).First())
            .Select(f => new CveView(f.Advisory.CveKey, f.Advisory.Id, f.Advisory.Summary, f.Advisory.Description, f.Advisory.CvssScore ?? 0,
                Cvss.Band(f.Advisory.CvssScore ?? 0) ?? "unknown", f.Advisory.Link))
            .OrderByDescending(c => c.Cvss).ThenBy(c => c.CvePk, StringComparer.Ordinal)
            .ToList();
        var components = inventory.Components.Select((c, i) =>
        {
            var found = byComponent[i].Select(f => f.Advisory.CveKey).Distinct().ToList();
            return new ComponentView($"c{i}", c.Name, c.Version, c.Type, c.Ecosystem, c.SourceName, Sbom.Purl(c, inventory.OsRelease), [c.Path], c.Layer,
                c.License is null ? [] : [c.License], found,
                byComponent[i].Select(f => f.FixedVersion).OfType<string>().Distinct().ToList(), found.Count);
        }).OrderByDescending(c => c.VulnCount).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        var layers = inventory.Layers.Select(l => new LayerView(l.Digest, l.Size,
            inventory.Components.Select((c, i) => (c, i)).Where(x => x.c.Layer == l.Digest).Select(x => $"c{x.i}").ToList())).ToList();
        var (critical, major, minor, maxCvss) = Cvss.Tally(visible.Select(f => f.Advisory));
        var slash = name.Value.IndexOf('/', StringComparison.Ordinal);
        return new ScannedImageView(name.Value[..slash], name.Value[(slash + 1)..], tag, digest.ToString(), scan.Os, scan.Architecture,
            new VulnCountView(critical, major, minor), maxCvss,
            inventory.Components.Select(c => c.License).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList(),
            layers, components, cves, overrides.Select(OverrideView).ToList(), report.DatabaseVersion, scan.StartedAt, scan.CompletedAt,
            inventory.Skipped ?? []);
    }

    // ---- hidden vulnerabilities ------------------------------------------------------------------------

    public async Task<IReadOnlyList<ScanOverrideView>> ListOverridesAsync(Principal principal, CancellationToken cancellationToken = default)
    {
        return (await results.ListOverridesAsync(cancellationToken)).Select(OverrideView).ToList();
    }

    /// <summary>DTR's layer override: hides a CVE of a component in a layer, in every image that has the layer.</summary>
    public async Task<ScanOverrideView> AddOverrideAsync(Principal principal, string layerId, ScanOverrideBody body, CancellationToken cancellationToken = default)
    {
        if (!Digest.TryParse(layerId, out var layer))
        {
            throw new DtrException(DtrError.InvalidParameter, "the layer id must be a layer digest");
        }

        if (body.Component is not { Length: > 0 and <= 255 } || body.Cve is not { Length: > 0 and <= 100 }
            || body.ComponentVersion is { Length: > 255 } || body.Notes is { Length: > 1000 })
        {
            throw new DtrException(DtrError.InvalidFormField, "component (1 to 255 characters) and cve (1 to 100) are required; notes are at most 1000");
        }

        return OverrideView(await results.AddOverrideAsync(layer, body.Component, body.ComponentVersion ?? "", body.Cve, body.Notes ?? "", principal.Name ?? "", cancellationToken));
    }

    public async Task DeleteOverrideAsync(Principal principal, string id, CancellationToken cancellationToken = default)
    {
        if (!await results.DeleteOverrideAsync(id, cancellationToken))
        {
            throw new DtrException(DtrError.NotFound, $"no override {id}");
        }
    }

    private static ScanOverrideView OverrideView(ScanOverride o) =>
        new(o.Id, o.Layer, o.Component, o.ComponentVersion, o.Cve, o.Notes, o.CreatedBy, o.CreatedAt);

    private static ManifestReference Reference(RepositoryName name, string reference) =>
        ManifestReference.TryParse(reference, out _) ?? throw new DtrException(DtrError.NoSuchTag, $"{reference} is neither a tag nor a digest of {name}");

    private static async Task<T> OrNoSuchTagAsync<T>(Func<Task<T>> action, string reference)
    {
        try
        {
            return await action();
        }
        catch (RegistryException e) when (e.Code == OciErrorCode.ManifestUnknown)
        {
            throw new DtrException(DtrError.NoSuchTag, $"no image {reference}");
        }
    }
}
