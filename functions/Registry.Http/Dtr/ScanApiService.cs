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
    RepositoryApiService repositories, ScanQueue queue, ScanResults results, ScanService scans, VulnerabilityDatabase database,
    Stores.IMetadataStore metadata, PermissionService permissions, Jobs.JobService jobs)
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
    /// DTR's export of a summary as CSV (RFC 4180, written by CsvHelper): a header, then a row per component and visible
    /// vulnerability, and one per component without any, for each platform of the image (or the one asked for).
    /// </summary>
    public async Task<string> ExportCsvAsync(Principal principal, string ns, string repo, string reference, string? os, string? architecture, CancellationToken cancellationToken = default)
    {
        var summaries = await GetSummaryAsync(principal, ns, repo, reference, os, architecture, cancellationToken);
        await using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        // Names and versions come from the image: a field a spreadsheet would run as a formula is escaped.
        await using (var csv = CsvHelper.CsvWriter.Create(text, new CsvHelper.CsvWriterOptions { Injection = CsvHelper.CsvInjection.Escape }, true))
        {
            csv.WriteHeader(ExportHeader);
            foreach (var image in summaries.Select(s => s.ScannedImage).OfType<ScannedImageView>())
            {
                var cves = image.Cves.ToDictionary(c => c.CvePk, StringComparer.Ordinal);
                foreach (var component in image.Components)
                {
                    foreach (var cve in component.Cves.Count == 0 ? [null] : component.Cves.Select(c => cves.GetValueOrDefault(c)))
                    {
                        await csv.WriteRecordAsync(
                        [
                            image.Namespace, image.Repository, image.Tag ?? "", image.ManifestDigest, image.Os, image.Architecture, component.Name,
                            component.Version, component.Type, component.SourceName ?? "", component.Purl ?? "", string.Join(';', component.FilePaths),
                            component.LayerDigest ?? "", string.Join(';', component.Licenses), cve?.CvePk ?? "", cve?.Severity ?? "",
                            cve?.Cvss.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", string.Join(';', component.FixedVersions),
                            cve?.Summary ?? "", cve?.Link ?? "",
                        ], cancellationToken);
                    }
                }
            }
        }

        return text.ToString();
    }

    private static readonly string[] ExportHeader =
    [
        "namespace", "repository", "tag", "digest", "os", "architecture", "component", "version", "type", "source", "purl", "paths",
        "layer", "licenses", "cve", "severity", "cvss", "fixedVersions", "summary", "link",
    ];

    /// <summary>
    /// DTR's images by CVE, component, layer or license: the summaries of the tags the caller may read whose completed
    /// scans name it (a CVE no override hides, a component's name, a layer's digest, a license), in repository and tag
    /// order, a page at a time (<paramref name="pageStart"/> and the next page's start are <c>namespace/repository:tag</c>).
    /// Every visible tag is looked at: the cost grows with the registry, as a search of all scans does.
    /// </summary>
    public async Task<(IReadOnlyList<ScanSummaryView> Page, string? Next)> FindAsync(
        Principal principal, string kind, string value, string? pageStart, int pageSize, CancellationToken cancellationToken = default)
    {
        Func<ScannedImageView, bool> names = kind switch
        {
            "cve" => image => image.Cves.Any(c => c.CvePk == value || c.Advisory == value),
            "component" => image => image.Components.Any(c => c.Name == value),
            "layer" => image => image.Layers.Any(l => l.Digest == value),
            "license" => image => image.Licenses.Any(l => l.Name == value),
            _ => throw new DtrException(DtrError.InvalidParameter, "the summaries are by cve, component, layer or license"),
        };
        var (startRepository, startTag) = pageStart?.Split(':') is [var r, var t] ? (r, t) : pageStart is null ? ("", "")
            : throw new DtrException(DtrError.InvalidParameter, "pageStart is namespace/repository:tag");
        var found = new List<ScanSummaryView>();
        string? from = startRepository.Length > 0 ? startRepository : null;
        var includeFrom = true;
        while (true)
        {
            var batch = await metadata.ListRepositoryRecordsAsync(null, from, includeFrom, 100, cancellationToken);
            foreach (var stored in batch)
            {
                if (!RepositoryName.TryParse(stored.Name, out var name) || PermissionService.NamespaceOf(name).Length == 0
                    || await permissions.GetLevelAsync(principal, name, cancellationToken) < AccessLevel.ReadOnly)
                {
                    continue;
                }

                var slash = stored.Name.IndexOf('/', StringComparison.Ordinal);
                for (var tagFrom = stored.Name == startRepository && startTag.Length > 0 ? startTag : null; ;)
                {
                    var tags = await metadata.ListTagRecordsAsync(name, tagFrom, 1001, cancellationToken);
                    foreach (var tag in tags.Take(1000))
                    {
                        foreach (var summary in await GetSummaryAsync(principal, stored.Name[..slash], stored.Name[(slash + 1)..], tag.Name, null, null, cancellationToken))
                        {
                            if (summary.ScannedImage is { } image && names(image))
                            {
                                if (found.Count == pageSize)
                                {
                                    return (found, $"{stored.Name}:{tag.Name}");
                                }

                                found.Add(summary);
                            }
                        }
                    }

                    if (tags.Count <= 1000)
                    {
                        break;
                    }

                    tagFrom = tags[1000].Name;
                }
            }

            if (batch.Count < 100)
            {
                return (found, null);
            }

            from = batch[^1].Name;
            includeFrom = false;
        }
    }

    /// <summary>
    /// DTR's older summary (<c>/imagescan/repositories/…</c>, which CI scripts poll until <c>check_completed_at</c> is
    /// set): the counts per platform, whether the image has foreign layers (not scanned), and with
    /// <paramref name="detailed"/> each layer's components and their vulnerabilities.
    /// </summary>
    public async Task<IReadOnlyList<LegacyScanView>> GetLegacySummaryAsync(Principal principal, string ns, string repo, string reference, bool detailed, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var summaries = await GetSummaryAsync(principal, ns, repo, reference, null, null, cancellationToken);
        var views = new List<LegacyScanView>();
        foreach (var s in summaries)
        {
            var image = s.ScannedImage;
            var foreign = image is not null && Digest.TryParse(image.ManifestDigest, out var digest) && await results.HasForeignLayersAsync(name, digest, cancellationToken);
            views.Add(new LegacyScanView(ns, repo, reference, image?.TotalVulnCount.Critical ?? 0, image?.TotalVulnCount.Major ?? 0,
                image?.TotalVulnCount.Minor ?? 0, s.ScanStatus, GoTime.Format(image?.CheckCompletedAt), s.ShouldRescan, foreign,
                detailed && image is not null ? LayerDetails(image) : null));
        }

        return views;
    }

    /// <summary>DTR's layer details: per layer, its components with their visible vulnerabilities.</summary>
    private static IReadOnlyList<LayerDetailView> LayerDetails(ScannedImageView image)
    {
        var components = image.Components.ToDictionary(c => c.ComponentPk, StringComparer.Ordinal);
        var cves = image.Cves.ToDictionary(c => c.CvePk, StringComparer.Ordinal);
        return image.Layers.Select(layer => new LayerDetailView(layer.Digest, layer.Components.Select(pk => components[pk]).Select(c => new LayerComponentView(
            c.Name, c.Version,
            c.Cves.Select(cve => cves[cve]).Select(cve => new VulnerabilityDetailView(new VulnerabilityView(cve.CvePk, cve.Cvss, cve.Summary ?? ""), true, [])).ToList(),
            c.FilePaths, c.Licenses.Count > 0 ? LicenseKinds.View(c.Licenses[0]) : null)).ToList())).ToList();
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

    /// <summary>DTR's features: scanning, promotion, mirroring and online GC are always there.</summary>
    public async Task<FeaturesView> GetFeaturesAsync(CancellationToken cancellationToken = default)
    {
        return new FeaturesView(true, true, true, true, true, true, DateOf(await database.GetInfoAsync(cancellationToken)), "");
    }

    public async Task<ScannerStatusView> GetStatusAsync(Principal principal, CancellationToken cancellationToken = default)
    {
        var info = await database.GetInfoAsync(cancellationToken);
        var lastUpdate = (await jobs.ListAsync(Jobs.JobActions.UpdateDatabase, false, null, 1, cancellationToken)).FirstOrDefault();
        return new ScannerStatusView(info is null ? 0 : 1, LayerAnalyzer.Version, GoTime.Format(null), DateOf(info), GoTime.Format(info?.UpdatedAt),
            lastUpdate?.Status == Records.JobRecord.Errored, false, info is null ? "no database" : "ready", info?.Version, info?.Source,
            info?.Advisories ?? 0, info?.Ecosystems ?? []);
    }

    /// <summary>The database's date as DTR's number, yyyymmdd; 0 without one.</summary>
    private static int DateOf(VulnerabilityDatabaseInfo? info) =>
        info is null ? 0 : int.Parse(info.Version.AsSpan(0, 8), System.Globalization.CultureInfo.InvariantCulture);

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
                byComponent[i].Select(f => f.FixedVersion).OfType<string>().Distinct().ToList(), Count(byComponent[i].Select(f => f.Advisory)));
        }).OrderByDescending(c => c.VulnCount.Critical + c.VulnCount.Major + c.VulnCount.Minor).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        var layers = inventory.Layers.Select(l => new LayerView(l.Digest, l.MediaType ?? "", l.Author ?? "", l.Size,
            inventory.Components.Select((c, i) => (c, i)).Where(x => x.c.Layer == l.Digest).Select(x => $"c{x.i}").ToList())).ToList();
        var (critical, major, minor, maxCvss) = Cvss.Tally(visible.Select(f => f.Advisory));
        var slash = name.Value.IndexOf('/', StringComparison.Ordinal);
        return new ScannedImageView(digest.ToString(), name.Value[..slash], name.Value[(slash + 1)..], tag, digest.ToString(), scan.Os, scan.Architecture,
            new VulnCountView(critical, major, minor), maxCvss,
            inventory.Components.Select(c => c.License).OfType<string>().Distinct().Order(StringComparer.Ordinal).Select(LicenseKinds.View).ToList(),
            layers, components, cves, new ScannerFingerprintView(1, [$"analyzer:{LayerAnalyzer.Version}", $"database:{report.DatabaseVersion ?? ""}"]),
            overrides.Select(OverrideView).ToList(), report.DatabaseVersion, scan.StartedAt, scan.CompletedAt, inventory.Skipped ?? []);
    }

    /// <summary>A component's vulnerabilities in DTR's bands, per distinct CVE.</summary>
    private static VulnCountView Count(IEnumerable<Scanning.Osv.Advisory> advisories)
    {
        var (critical, major, minor, _) = Cvss.Tally(advisories);
        return new VulnCountView(critical, major, minor);
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
