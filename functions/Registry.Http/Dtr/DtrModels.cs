using System.Text.Json.Serialization;

namespace Registry.Dtr;

// The JSON shapes of /enzi/v0 and /api/v0, after DTR and UCP (eNZi). Request bodies are nullable where a PATCH may
// leave a field out.

/// <summary>A user or organization.</summary>
public sealed record AccountView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("fullName")] string FullName,
    [property: JsonPropertyName("isOrg")] bool IsOrg,
    [property: JsonPropertyName("isAdmin")] bool IsAdmin,
    [property: JsonPropertyName("isActive")] bool IsActive);

public sealed record AccountCreate(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("fullName")] string? FullName,
    [property: JsonPropertyName("isOrg")] bool IsOrg,
    [property: JsonPropertyName("isAdmin")] bool IsAdmin,
    [property: JsonPropertyName("isActive")] bool? IsActive);

public sealed record AccountPatch(
    [property: JsonPropertyName("fullName")] string? FullName,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("isAdmin")] bool? IsAdmin,
    [property: JsonPropertyName("isActive")] bool? IsActive,
    [property: JsonPropertyName("oldPassword")] string? OldPassword = null);

public sealed record AccountList(
    [property: JsonPropertyName("accounts")] IReadOnlyList<AccountView> Accounts,
    [property: JsonPropertyName("nextPageStart")] string NextPageStart);

/// <summary>eNZi's team, with its organization's id (<c>orgID</c>) as eNZi gives it.</summary>
public sealed record TeamView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("orgID")] string OrgId,
    [property: JsonPropertyName("orgName")] string OrgName,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description);

public sealed record TeamCreate(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("description")] string? Description);

public sealed record TeamList(
    [property: JsonPropertyName("teams")] IReadOnlyList<TeamView> Teams,
    [property: JsonPropertyName("nextPageStart")] string NextPageStart);

public sealed record MemberView(
    [property: JsonPropertyName("member")] AccountView Member,
    [property: JsonPropertyName("isAdmin")] bool IsAdmin);

public sealed record MemberPut([property: JsonPropertyName("isAdmin")] bool IsAdmin);

public sealed record MemberList(
    [property: JsonPropertyName("members")] IReadOnlyList<MemberView> Members,
    [property: JsonPropertyName("nextPageStart")] string NextPageStart);

/// <summary>A repository, with DTR's fields.</summary>
public sealed record RepositoryView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("namespaceType")] string NamespaceType,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shortDescription")] string ShortDescription,
    [property: JsonPropertyName("longDescription")] string LongDescription,
    [property: JsonPropertyName("visibility")] string Visibility,
    [property: JsonPropertyName("scanOnPush")] bool ScanOnPush,
    [property: JsonPropertyName("immutableTags")] bool ImmutableTags,
    [property: JsonPropertyName("enableManifestLists")] bool EnableManifestLists,
    [property: JsonPropertyName("pulls")] long Pulls,
    [property: JsonPropertyName("pushes")] long Pushes,
    [property: JsonPropertyName("tagLimit")] int TagLimit,
    [property: JsonPropertyName("immutableTagPatterns")] IReadOnlyList<string> ImmutableTagPatterns);

public sealed record RepositoryCreate(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("shortDescription")] string? ShortDescription,
    [property: JsonPropertyName("longDescription")] string? LongDescription,
    [property: JsonPropertyName("visibility")] string? Visibility,
    [property: JsonPropertyName("scanOnPush")] bool? ScanOnPush,
    [property: JsonPropertyName("immutableTags")] bool? ImmutableTags,
    [property: JsonPropertyName("tagLimit")] int? TagLimit,
    [property: JsonPropertyName("immutableTagPatterns")] IReadOnlyList<string>? ImmutableTagPatterns);

public sealed record RepositoryList([property: JsonPropertyName("repositories")] IReadOnlyList<RepositoryView> Repositories);

/// <summary>DTR's <c>ListTag</c> and <c>Tag</c>; <c>signed</c> and <c>signedBy</c> (registry signatures) are ours.</summary>
public sealed record TagView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("author")] string Author,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt,
    [property: JsonPropertyName("inNotary")] bool InNotary,
    [property: JsonPropertyName("hashMismatch")] bool HashMismatch,
    [property: JsonPropertyName("manifest")] ManifestView Manifest,
    [property: JsonPropertyName("signed")] bool Signed,
    [property: JsonPropertyName("signedBy")] IReadOnlyList<string> SignedBy)
{
    /// <summary>DTR's <c>Tag</c> (one tag asked for) carries the image's older scan summary and scan results; a tag list does not.</summary>
    [JsonPropertyName("vuln_summary")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LegacyScanView? VulnSummary { get; init; }

    /// <summary>DTR's <c>Tag</c> and <c>ListTag</c>: where a poll mirroring policy brought the image from.</summary>
    [JsonPropertyName("mirroring")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MirroringView? Mirroring { get; init; }

    /// <summary>DTR's <c>Tag</c> and <c>ListTag</c>: where a promotion brought the image from.</summary>
    [JsonPropertyName("promotion")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TagPromotionView? Promotion { get; init; }

    /// <summary>DTR's <c>Tag</c>: the scanned image's components (absent before a scan completes).</summary>
    [JsonPropertyName("components")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ComponentView>? Components { get; init; }

    /// <summary>DTR's <c>Tag</c>: the scanned image's licenses (absent before a scan completes).</summary>
    [JsonPropertyName("licenses")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<LicenseView>? Licenses { get; init; }
}

/// <summary>DTR's <c>Manifest</c>: only the digest is required (a tag listed without <c>includeManifests</c>).</summary>
public sealed record ManifestView([property: JsonPropertyName("digest")] string Digest)
{
    [JsonPropertyName("mediaType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MediaType { get; init; }

    /// <summary>An image's config and layers together; an index's own size.</summary>
    [JsonPropertyName("size")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Size { get; init; }

    [JsonPropertyName("os")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Os { get; init; }

    [JsonPropertyName("osVersion")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OsVersion { get; init; }

    [JsonPropertyName("architecture")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Architecture { get; init; }

    /// <summary>The config's <c>author</c>.</summary>
    [JsonPropertyName("author")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Author { get; init; }

    /// <summary>The config's <c>created</c>; when the registry received it for an index or a config without one.</summary>
    [JsonPropertyName("createdAt")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? CreatedAt { get; init; }

    [JsonPropertyName("configDigest")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ConfigDigest { get; init; }

    [JsonPropertyName("configMediaType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ConfigMediaType { get; init; }

    [JsonPropertyName("dockerfile")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<DockerfileLineView>? Dockerfile { get; init; }
}

/// <summary>DTR's <c>DockerfileLine</c>: a step of the image's history and the layer it made (none when <c>isEmpty</c>).</summary>
public sealed record DockerfileLineView(
    [property: JsonPropertyName("line")] string Line,
    [property: JsonPropertyName("layerDigest")] string LayerDigest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("isEmpty")] bool IsEmpty,
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("urls")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Urls);

/// <summary>DTR's <c>Team</c> (<c>id</c>, <c>clientUserIsMember</c>: whether the caller is in it), with the organization and name.</summary>
public sealed record TeamRef(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("clientUserIsMember")] bool ClientUserIsMember,
    [property: JsonPropertyName("orgName")] string OrgName,
    [property: JsonPropertyName("name")] string Name);

public sealed record TeamAccessView(
    [property: JsonPropertyName("accessLevel")] string AccessLevel,
    [property: JsonPropertyName("team")] TeamRef Team);

public sealed record TeamAccessPut([property: JsonPropertyName("accessLevel")] string? AccessLevel);

public sealed record RepositoryTeamAccessList(
    [property: JsonPropertyName("repository")] RepositoryView Repository,
    [property: JsonPropertyName("teamAccessList")] IReadOnlyList<TeamAccessView> TeamAccessList);

/// <summary>DTR's <c>RepoUserAccess</c>: a user's effective level on a repository (<c>""</c> for none).</summary>
public sealed record RepoUserAccessView(
    [property: JsonPropertyName("accessLevel")] string AccessLevel,
    [property: JsonPropertyName("user")] AccountView User,
    [property: JsonPropertyName("repository")] RepositoryView Repository);

/// <summary>DTR's <c>RepoAccess</c>.</summary>
public sealed record RepoAccessView(
    [property: JsonPropertyName("accessLevel")] string AccessLevel,
    [property: JsonPropertyName("repository")] RepositoryView Repository);

/// <summary>DTR's <c>ListTeamRepoAccess</c>.</summary>
public sealed record TeamRepositoryAccessList(
    [property: JsonPropertyName("team")] TeamRef Team,
    [property: JsonPropertyName("repositoryAccessList")] IReadOnlyList<RepoAccessView> RepositoryAccessList);

/// <summary>DTR's <c>NamespaceTeamAccess</c>.</summary>
public sealed record NamespaceTeamAccessView(
    [property: JsonPropertyName("accessLevel")] string AccessLevel,
    [property: JsonPropertyName("team")] TeamRef Team,
    [property: JsonPropertyName("namespace")] string Namespace);

public sealed record NamespaceTeamAccessList(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("teamAccessList")] IReadOnlyList<TeamAccessView> TeamAccessList);

public sealed record ApiTokenCreate(
    [property: JsonPropertyName("tokenLabel")] string? TokenLabel,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset? ExpiresAt);

public sealed record ApiTokenPatch(
    [property: JsonPropertyName("tokenLabel")] string? TokenLabel,
    [property: JsonPropertyName("isActive")] bool? IsActive);

/// <summary>
/// DTR's <c>APIToken</c> (<c>NewAPIToken</c> with <see cref="Token"/>, set only in the answer that creates it).
/// <c>lastUsed</c> is Go's zero time for a token never used; every token here is made through the API
/// (<c>generatedBy</c> <c>manual</c>); <c>expiresAt</c> is ours.
/// </summary>
public sealed record ApiTokenView(
    [property: JsonPropertyName("token")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Token,
    [property: JsonPropertyName("hashedToken")] string HashedToken,
    [property: JsonPropertyName("tokenLabel")] string TokenLabel,
    [property: JsonPropertyName("isActive")] bool IsActive,
    [property: JsonPropertyName("lastUsed")] string LastUsed,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("creatorUa")] string CreatorUa)
{
    [JsonPropertyName("generatedBy")]
    public string GeneratedBy => "manual";
}

public sealed record PruningPolicyBody(
    [property: JsonPropertyName("enabled")] bool? Enabled,
    [property: JsonPropertyName("rules")] IReadOnlyList<Services.PolicyRule>? Rules);

public sealed record PruningPolicyView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("rules")] IReadOnlyList<Services.PolicyRule> Rules,
    [property: JsonPropertyName("lastPrunedAt")] DateTimeOffset? LastPrunedAt);

public sealed record PromotionPolicyBody(
    [property: JsonPropertyName("enabled")] bool? Enabled,
    [property: JsonPropertyName("rules")] IReadOnlyList<Services.PolicyRule>? Rules,
    [property: JsonPropertyName("targetRepository")] string? TargetRepository,
    [property: JsonPropertyName("tagTemplate")] string? TagTemplate);

public sealed record PromotionPolicyView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("sourceRepository")] string SourceRepository,
    [property: JsonPropertyName("targetRepository")] string TargetRepository,
    [property: JsonPropertyName("tagTemplate")] string TagTemplate,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("rules")] IReadOnlyList<Services.PolicyRule> Rules,
    [property: JsonPropertyName("lastPromotedAt")] DateTimeOffset? LastPromotedAt);

/// <summary>DTR's manual promotion: <c>POST …/tags/{tag}/promotion</c>.</summary>
public sealed record PromotionBody(
    [property: JsonPropertyName("targetRepository")] string? TargetRepository,
    [property: JsonPropertyName("targetTag")] string? TargetTag);

public sealed record PromotionView(
    [property: JsonPropertyName("promotionPolicyID")] string PromotionPolicyId,
    [property: JsonPropertyName("sourceRepository")] string SourceRepository,
    [property: JsonPropertyName("sourceTag")] string SourceTag,
    [property: JsonPropertyName("targetRepository")] string TargetRepository,
    [property: JsonPropertyName("targetTag")] string TargetTag,
    [property: JsonPropertyName("digest")] string Digest);

/// <summary>
/// DTR's <c>Cron</c>: a maintenance action on a schedule (<c>onlinegc</c> with its settings; <c>tag_prune</c>,
/// <c>update_vuln_db</c>), with the registry's <c>enabled</c> and <c>lastRun</c> (GC's last report) after DTR's fields.
/// The id is the same for an action on every instance; timers are not retried (<c>retries</c> 0, no <c>stopTimeout</c>);
/// <c>nextRun</c> is Go's zero time while the cron is switched off.
/// </summary>
public sealed record CronView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("schedule")] string Schedule,
    [property: JsonPropertyName("retries")] int Retries,
    [property: JsonPropertyName("capacityMap")] IReadOnlyDictionary<string, int> CapacityMap,
    [property: JsonPropertyName("parameters")] IReadOnlyDictionary<string, string> Parameters,
    [property: JsonPropertyName("deadline")] string Deadline,
    [property: JsonPropertyName("stopTimeout")] string StopTimeout,
    [property: JsonPropertyName("nextRun")] string NextRun,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("lastRun")] Services.GcReport? LastRun);

/// <summary>DTR's <c>Crons</c>.</summary>
public sealed record CronListView([property: JsonPropertyName("crons")] IReadOnlyList<CronView> Crons);

public sealed record CronUpdate(
    [property: JsonPropertyName("action")] string? Action,
    [property: JsonPropertyName("schedule")] string? Schedule,
    [property: JsonPropertyName("enabled")] bool? Enabled,
    [property: JsonPropertyName("deadline")] string? Deadline,
    [property: JsonPropertyName("parameters")] Dictionary<string, string>? Parameters);

/// <summary>DTR's job request: <c>{"action":"onlinegc","parameters":{"dryRun":true}}</c>.</summary>
public sealed record JobCreate(
    [property: JsonPropertyName("action")] string? Action,
    [property: JsonPropertyName("parameters")] Dictionary<string, System.Text.Json.JsonElement>? Parameters);

public sealed record ScanSubmitted(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("manifestDigests")] IReadOnlyList<string> ManifestDigests);

/// <summary>DTR's scan summary of one image: <c>scanStatus</c> is DTR's code (0 failed … 6 completed).</summary>
public sealed record ScanSummaryView(
    [property: JsonPropertyName("scanStatus")] int ScanStatus,
    [property: JsonPropertyName("shouldRescan")] bool ShouldRescan,
    [property: JsonPropertyName("error")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonPropertyName("scannedImage")] ScannedImageView? ScannedImage);

/// <summary>
/// DTR's <c>ScannedImage</c>: <c>pk</c> is the image's digest, <c>scannerFingerprint</c> this scanner (type 1: the
/// registry's own) with its analyzer and database versions. After DTR's fields come ours: the platform, the database
/// version, the scan's times and what the scan could not read.
/// </summary>
public sealed record ScannedImageView(
    [property: JsonPropertyName("pk")] string Pk,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("tag")] string? Tag,
    [property: JsonPropertyName("manifestDigest")] string ManifestDigest,
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("totalVulnCount")] VulnCountView TotalVulnCount,
    [property: JsonPropertyName("maxCVSSValue")] double MaxCvssValue,
    [property: JsonPropertyName("licenses")] IReadOnlyList<LicenseView> Licenses,
    [property: JsonPropertyName("layers")] IReadOnlyList<LayerView> Layers,
    [property: JsonPropertyName("components")] IReadOnlyList<ComponentView> Components,
    [property: JsonPropertyName("cves")] IReadOnlyList<CveView> Cves,
    [property: JsonPropertyName("scannerFingerprint")] ScannerFingerprintView ScannerFingerprint,
    [property: JsonPropertyName("vulnOverrides")] IReadOnlyList<ScanOverrideView> VulnOverrides,
    [property: JsonPropertyName("databaseVersion")] string? DatabaseVersion,
    [property: JsonPropertyName("scanStartedAt")] DateTimeOffset? ScanStartedAt,
    [property: JsonPropertyName("checkCompletedAt")] DateTimeOffset? CheckCompletedAt,
    [property: JsonPropertyName("skipped")] IReadOnlyList<Scanning.ScanSkip> Skipped);

public sealed record VulnCountView(
    [property: JsonPropertyName("critical")] int Critical,
    [property: JsonPropertyName("major")] int Major,
    [property: JsonPropertyName("minor")] int Minor);

/// <summary>DTR's <c>ScannerFingerprint</c>.</summary>
public sealed record ScannerFingerprintView(
    [property: JsonPropertyName("scannerType")] int ScannerType,
    [property: JsonPropertyName("version")] IReadOnlyList<string> Version);

/// <summary>DTR's <c>ScannerLayer</c>: <c>author</c> from the image's history, empty when it does not say.</summary>
public sealed record LayerView(
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("author")] string Author,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("components")] IReadOnlyList<string> Components);

/// <summary>
/// DTR's <c>ScannerComponent</c> (<c>source</c>: the kind of package, <c>apk</c>, <c>deb</c>, <c>npm</c>…), with ours after:
/// the ecosystem, the source package, the purl, the layer and the fixed versions.
/// </summary>
public sealed record ComponentView(
    [property: JsonPropertyName("componentPK")] string ComponentPk,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("ecosystem")] string Ecosystem,
    [property: JsonPropertyName("sourceName")] string? SourceName,
    [property: JsonPropertyName("purl")] string? Purl,
    [property: JsonPropertyName("filepaths")] IReadOnlyList<string> FilePaths,
    [property: JsonPropertyName("layerDigest")] string? LayerDigest,
    [property: JsonPropertyName("licenses")] IReadOnlyList<string> Licenses,
    [property: JsonPropertyName("cves")] IReadOnlyList<string> Cves,
    [property: JsonPropertyName("fixedVersions")] IReadOnlyList<string> FixedVersions,
    [property: JsonPropertyName("vulnCount")] VulnCountView VulnCount)
{
    [JsonPropertyName("source")]
    public string Source => Type;
}

/// <summary>DTR's <c>ScannerCVE</c> (<c>notes</c> empty: notes belong to overrides, which hide a CVE), with the advisory's details after.</summary>
public sealed record CveView(
    [property: JsonPropertyName("cvePK")] string CvePk,
    [property: JsonPropertyName("advisory")] string Advisory,
    [property: JsonPropertyName("summary")] string? Summary,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("cvss")] double Cvss,
    [property: JsonPropertyName("severity")] string Severity,
    [property: JsonPropertyName("link")] string Link)
{
    [JsonPropertyName("notes")]
    public string Notes => "";
}

/// <summary>
/// DTR's <c>NautilusStatus</c>: <c>state</c> 1 with a database, 0 without; <c>scanner_version</c> the analyzer's;
/// <c>db_version</c> the database's date (yyyymmdd); times as Go writes them (its zero time for none). After DTR's
/// fields come ours: <c>status</c> in words, the database's full version, source, advisories and ecosystems.
/// </summary>
public sealed record ScannerStatusView(
    [property: JsonPropertyName("state")] int State,
    [property: JsonPropertyName("scanner_version")] int ScannerVersion,
    [property: JsonPropertyName("scannerUpdatedAt")] string ScannerUpdatedAt,
    [property: JsonPropertyName("db_version")] int DbVersion,
    [property: JsonPropertyName("db_updated_at")] string DbUpdatedAt,
    [property: JsonPropertyName("lastDBUpdateFailed")] bool LastDbUpdateFailed,
    [property: JsonPropertyName("lastVulnOverridesDBUpdateFailed")] bool LastVulnOverridesDbUpdateFailed,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("databaseVersion")] string? DatabaseVersion,
    [property: JsonPropertyName("db_source")] string? DbSource,
    [property: JsonPropertyName("advisories")] int Advisories,
    [property: JsonPropertyName("ecosystems")] IReadOnlyList<string> Ecosystems);

/// <summary>DTR's layer override body: <c>{component, componentVersion, cve, notes}</c>.</summary>
public sealed record ScanOverrideBody(
    [property: JsonPropertyName("component")] string? Component,
    [property: JsonPropertyName("componentVersion")] string? ComponentVersion,
    [property: JsonPropertyName("cve")] string? Cve,
    [property: JsonPropertyName("notes")] string? Notes);

/// <summary>DTR's <c>LayerVulnOverride</c> (<c>pk</c> its id, <c>digest</c> the layer's), with who made it and when.</summary>
public sealed record ScanOverrideView(
    [property: JsonPropertyName("pk")] string Pk,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("component")] string Component,
    [property: JsonPropertyName("componentVersion")] string ComponentVersion,
    [property: JsonPropertyName("cve")] string Cve,
    [property: JsonPropertyName("notes")] string Notes,
    [property: JsonPropertyName("createdBy")] string CreatedBy,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt);

/// <summary>
/// DTR's older scan summary (its <c>OldScanSummary</c>, deprecated there, still polled by CI scripts):
/// <c>check_completed_at</c> is written as DTR writes it (<see cref="GoTime"/>), <c>0001-01-01T00:00:00Z</c> before a
/// scan completes (CI scripts wait while it equals that).
/// </summary>
public sealed record LegacyScanView(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("reponame")] string RepoName,
    [property: JsonPropertyName("tag")] string Tag,
    [property: JsonPropertyName("critical")] int Critical,
    [property: JsonPropertyName("major")] int Major,
    [property: JsonPropertyName("minor")] int Minor,
    [property: JsonPropertyName("last_scan_status")] int LastScanStatus,
    [property: JsonPropertyName("check_completed_at")] string CheckCompletedAt,
    [property: JsonPropertyName("should_rescan")] bool ShouldRescan,
    [property: JsonPropertyName("has_foreign_layers")] bool HasForeignLayers,
    [property: JsonPropertyName("layer_details")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<LayerDetailView>? LayerDetails);

/// <summary>Times as DTR, written in Go, writes them.</summary>
public static class GoTime
{
    /// <summary>Go's RFC 3339 for a UTC time (fraction without trailing zeros); Go's zero time for none.</summary>
    public static string Format(DateTimeOffset? time) => time is { } t
        ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture)
        : "0001-01-01T00:00:00Z";
}

/// <summary>DTR's <c>DetailedSummary</c>: a layer's digest and its components.</summary>
public sealed record LayerDetailView(
    [property: JsonPropertyName("sha256sum")] string Sha256Sum,
    [property: JsonPropertyName("components")] IReadOnlyList<LayerComponentView> Components);

/// <summary>DTR's <c>Component</c> of a layer: name, version, vulnerabilities, paths and license.</summary>
public sealed record LayerComponentView(
    [property: JsonPropertyName("component")] string Component,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("vulns")] IReadOnlyList<VulnerabilityDetailView> Vulns,
    [property: JsonPropertyName("fullpath")] IReadOnlyList<string> FullPath,
    [property: JsonPropertyName("license")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LicenseView? License);

/// <summary>DTR's <c>VulnerabilityDetails</c>: <c>exact</c> is true, the version being known.</summary>
public sealed record VulnerabilityDetailView(
    [property: JsonPropertyName("vuln")] VulnerabilityView Vuln,
    [property: JsonPropertyName("exact")] bool Exact,
    [property: JsonPropertyName("notes")] IReadOnlyList<NoteView> Notes);

public sealed record VulnerabilityView(
    [property: JsonPropertyName("cve")] string Cve,
    [property: JsonPropertyName("cvss")] double Cvss,
    [property: JsonPropertyName("summary")] string Summary);

public sealed record NoteView(
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("type")] string Type);

/// <summary>DTR's <c>License</c>: the name the package declares; <c>type</c> and <c>url</c> empty (not known here).</summary>
public sealed record LicenseView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("url")] string Url);

public sealed record BatchCountsRequest([property: JsonPropertyName("images")] IReadOnlyList<BatchImage?>? Images);

public sealed record BatchImage(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("digest")] string? Digest);

public sealed record BatchCountsView([property: JsonPropertyName("images")] IReadOnlyDictionary<string, VulnCountView> Images);

public sealed record SigningPolicyBody(
    [property: JsonPropertyName("enabled")] bool? Enabled,
    [property: JsonPropertyName("rules")] IReadOnlyList<Services.PolicyRule>? Rules,
    [property: JsonPropertyName("signPlatforms")] bool? SignPlatforms);

public sealed record SigningPolicyView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("rules")] IReadOnlyList<Services.PolicyRule> Rules,
    [property: JsonPropertyName("signPlatforms")] bool SignPlatforms,
    [property: JsonPropertyName("lastSignedAt")] DateTimeOffset? LastSignedAt);

public sealed record TrustPolicyBody(
    [property: JsonPropertyName("enforce")] bool? Enforce,
    [property: JsonPropertyName("trustRegistry")] bool? TrustRegistry,
    [property: JsonPropertyName("certificates")] IReadOnlyList<string>? Certificates,
    [property: JsonPropertyName("publicKeys")] IReadOnlyList<string>? PublicKeys);

public sealed record TrustPolicyView(
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("scopeType")] string ScopeType,
    [property: JsonPropertyName("enforce")] bool Enforce,
    [property: JsonPropertyName("trustRegistry")] bool TrustRegistry,
    [property: JsonPropertyName("certificates")] IReadOnlyList<string> Certificates,
    [property: JsonPropertyName("publicKeys")] IReadOnlyList<string> PublicKeys,
    [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt);

public sealed record SignatureView(
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("envelope")] string Envelope,
    [property: JsonPropertyName("identity")] string? Identity,
    [property: JsonPropertyName("signedAt")] DateTimeOffset? SignedAt,
    [property: JsonPropertyName("valid")] bool Valid,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>A webhook as DTR shows it, with the registry's own fields after DTR's.</summary>
public sealed record WebhookView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("endpoint")] string Endpoint,
    [property: JsonPropertyName("authorID")] string AuthorId,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("lastSuccessfulAt")] DateTimeOffset? LastSuccessfulAt,
    [property: JsonPropertyName("inactive")] bool Inactive,
    [property: JsonPropertyName("tlsCert")] string TlsCert,
    [property: JsonPropertyName("skipTLSVerification")] bool SkipTlsVerification,
    [property: JsonPropertyName("failedDeliveries")] int FailedDeliveries,
    [property: JsonPropertyName("secret"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret = null);

/// <summary>DTR's webhook create body (<c>secret</c> is the registry's: the HMAC key, made when left out).</summary>
public sealed record WebhookCreate(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("key")] string? Key,
    [property: JsonPropertyName("endpoint")] string? Endpoint,
    [property: JsonPropertyName("tlsCert")] string? TlsCert,
    [property: JsonPropertyName("skipTLSVerification")] bool? SkipTlsVerification,
    [property: JsonPropertyName("secret")] string? Secret);

/// <summary>DTR's <c>POST /webhooks/update</c> body: the id and what changes.</summary>
public sealed record WebhookUpdate(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("endpoint")] string? Endpoint,
    [property: JsonPropertyName("inactive")] bool? Inactive,
    [property: JsonPropertyName("tlsCert")] string? TlsCert,
    [property: JsonPropertyName("skipTLSVerification")] bool? SkipTlsVerification,
    [property: JsonPropertyName("secret")] string? Secret);

/// <summary>DTR's <c>POST /webhooks/test</c> body.</summary>
public sealed record WebhookTest(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("endpoint")] string? Endpoint,
    [property: JsonPropertyName("tlsCert")] string? TlsCert,
    [property: JsonPropertyName("skipTLSVerification")] bool? SkipTlsVerification);

/// <summary>What a test delivery or one try of a delivery came to.</summary>
public sealed record WebhookDeliveryView(
    [property: JsonPropertyName("eventId")] string EventId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("statusCode")] int? StatusCode,
    [property: JsonPropertyName("durationMs")] long DurationMs,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("at")] DateTimeOffset At);

/// <summary>
/// DTR's <c>Job</c>, with the registry's <c>startedAt</c>, <c>error</c> and <c>result</c> (what a job started through
/// the API found) after DTR's fields. Jobs are not retried from the API, nor sized or bounded by DTR's worker fields:
/// <c>retryFromID</c>, <c>deadline</c> and <c>stopTimeout</c> are empty, the retry counts 0 and <c>capacityMap</c> empty.
/// </summary>
public sealed record JobRecordView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("workerID")] string WorkerId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("scheduledAt")] DateTimeOffset ScheduledAt,
    [property: JsonPropertyName("lastUpdated")] DateTimeOffset LastUpdated,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("parameters")] System.Text.Json.JsonElement Parameters,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("error")] string Error)
{
    [JsonPropertyName("retryFromID")]
    public string RetryFromId => "";

    [JsonPropertyName("retriesLeft")]
    public int RetriesLeft => 0;

    [JsonPropertyName("retriesTotal")]
    public int RetriesTotal => 0;

    [JsonPropertyName("capacityMap")]
    public IReadOnlyDictionary<string, int> CapacityMap => new Dictionary<string, int>();

    [JsonPropertyName("deadline")]
    public string Deadline => "";

    [JsonPropertyName("stopTimeout")]
    public string StopTimeout => "";

    [JsonPropertyName("result")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public System.Text.Json.JsonElement? Result { get; init; }
}

public sealed record JobListView([property: JsonPropertyName("jobs")] IReadOnlyList<JobRecordView> Jobs);

/// <summary>One line of a job's log, as DTR answers <c>/jobs/{id}/logs</c>.</summary>
public sealed record JobLogLine([property: JsonPropertyName("lineNum")] int LineNum, [property: JsonPropertyName("data")] string Data);

/// <summary>A page of the audit log, newest first.</summary>
public sealed record AuditListView([property: JsonPropertyName("entries")] IReadOnlyList<Records.AuditEntry> Entries);

/// <summary>A content cache as DTR shows it.</summary>
public sealed record ContentCacheView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("host")] string Host);

public sealed record ContentCacheCreate(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("host")] string? Host);

/// <summary>A user's settings (DTR's <c>/accounts/{user}/settings</c>): the content cache the user pulls from.</summary>
public sealed record UserSettingsView([property: JsonPropertyName("contentCacheUUID")] string ContentCacheUuid);

public sealed record UserSettingsPatch([property: JsonPropertyName("contentCacheUUID")] string? ContentCacheUuid);

/// <summary>DTR's <c>ToggleScanOnPush</c> form: scan on push for every repository, on or off.</summary>
public sealed record ScanOnPushToggle([property: JsonPropertyName("scanOnPush")] bool? ScanOnPush);

/// <summary>
/// DTR's <c>Features</c>: what this registry does (promotion and mirroring included); <c>db_version</c> is the date (yyyymmdd)
/// of the vulnerability database in use, 0 without one; there is no UCP.
/// </summary>
public sealed record FeaturesView(
    [property: JsonPropertyName("scanningEnabled")] bool ScanningEnabled,
    [property: JsonPropertyName("scanningLicensed")] bool ScanningLicensed,
    [property: JsonPropertyName("promotionLicensed")] bool PromotionLicensed,
    [property: JsonPropertyName("mirroringLicensed")] bool MirroringLicensed,
    [property: JsonPropertyName("metadataStoreOptedIn")] bool MetadataStoreOptedIn,
    [property: JsonPropertyName("onlineGCEnabled")] bool OnlineGcEnabled,
    [property: JsonPropertyName("db_version")] int DbVersion,
    [property: JsonPropertyName("ucpHost")] string UcpHost);

/// <summary>
/// DTR's <c>Settings</c>. Only <c>createRepositoryOnPush</c> and <c>readOnlyRegistry</c> change at run time; the
/// rest says what this registry is: no single sign-on, proxies, log shipping, TLS termination or NFS of its own
/// (the platform's), scanning always on, job records kept a week, repository events and audit kept by their own settings.
/// </summary>
public sealed record SettingsView
{
    [JsonPropertyName("dtrHost")] public string DtrHost { get; init; } = "";
    [JsonPropertyName("sso")] public bool Sso { get; init; }
    [JsonPropertyName("createRepositoryOnPush")] public bool CreateRepositoryOnPush { get; init; }
    [JsonPropertyName("replicaSettings")] public IReadOnlyDictionary<string, object> ReplicaSettings { get; init; } = new Dictionary<string, object>();
    [JsonPropertyName("httpProxy")] public string HttpProxy { get; init; } = "";
    [JsonPropertyName("httpsProxy")] public string HttpsProxy { get; init; } = "";
    [JsonPropertyName("noProxy")] public string NoProxy { get; init; } = "";
    [JsonPropertyName("disableUpgrades")] public bool DisableUpgrades { get; init; } = true;
    [JsonPropertyName("reportAnalytics")] public bool ReportAnalytics { get; init; }
    [JsonPropertyName("anonymizeAnalytics")] public bool AnonymizeAnalytics { get; init; }
    [JsonPropertyName("disableBackupWarning")] public bool DisableBackupWarning { get; init; } = true;
    [JsonPropertyName("logProtocol")] public string LogProtocol { get; init; } = "";
    [JsonPropertyName("logHost")] public string LogHost { get; init; } = "";
    [JsonPropertyName("logLevel")] public string LogLevel { get; init; } = "";
    [JsonPropertyName("webTLSCert")] public string WebTlsCert { get; init; } = "";
    [JsonPropertyName("webTLSCA")] public string WebTlsCa { get; init; } = "";
    [JsonPropertyName("webTLSClientCA")] public string WebTlsClientCa { get; init; } = "";
    [JsonPropertyName("clientCertAuthEnabled")] public bool ClientCertAuthEnabled { get; init; }
    [JsonPropertyName("replicaID")] public string ReplicaId { get; init; } = "";
    [JsonPropertyName("scanningEnabled")] public bool ScanningEnabled { get; init; } = true;
    [JsonPropertyName("scanningSyncOnline")] public bool ScanningSyncOnline { get; init; }
    [JsonPropertyName("scanningDeadline")] public int ScanningDeadline { get; init; }
    [JsonPropertyName("scanningEnableAutoRecheck")] public bool ScanningEnableAutoRecheck { get; init; }
    [JsonPropertyName("jobHistoryCompactionEnabled")] public bool JobHistoryCompactionEnabled { get; init; } = true;
    [JsonPropertyName("jobHistoryToKeep")] public long JobHistoryToKeep { get; init; }
    [JsonPropertyName("jobHistoryMaxAge")] public string JobHistoryMaxAge { get; init; } = "";
    [JsonPropertyName("repoEventHistoryCompactionEnabled")] public bool RepoEventHistoryCompactionEnabled { get; init; }
    [JsonPropertyName("repoEventHistoryToKeep")] public long RepoEventHistoryToKeep { get; init; }
    [JsonPropertyName("repoEventHistoryMaxAge")] public string RepoEventHistoryMaxAge { get; init; } = "";
    [JsonPropertyName("storageVolume")] public string StorageVolume { get; init; } = "";
    [JsonPropertyName("nfsHost")] public string NfsHost { get; init; } = "";
    [JsonPropertyName("nfsPath")] public string NfsPath { get; init; } = "";
    [JsonPropertyName("readOnlyRegistry")] public bool ReadOnlyRegistry { get; init; }
    [JsonPropertyName("disablePersistentCookies")] public bool DisablePersistentCookies { get; init; } = true;
}

/// <summary>DTR's <c>Alert</c>: <c>class</c> is info, warning or error; <c>id</c> names the condition.</summary>
public sealed record AlertView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("class")] string Class,
    [property: JsonPropertyName("message")] string Message);

/// <summary>DTR's <c>Autocomplete</c>.</summary>
public sealed record AutocompleteView(
    [property: JsonPropertyName("accountResults")] IReadOnlyList<AccountView> AccountResults,
    [property: JsonPropertyName("repositoryResults")] IReadOnlyList<RepositoryView> RepositoryResults);

/// <summary>DTR's <c>DockerSearch</c>, as <c>docker search</c> reads it: <c>num_results</c> counts every visible match (up to 1,000 checked).</summary>
public sealed record DockerSearchView(
    [property: JsonPropertyName("num_results")] int NumResults,
    [property: JsonPropertyName("query")] string Query,
    [property: JsonPropertyName("results")] IReadOnlyList<DockerRepositoryView> Results);

/// <summary>DTR's <c>DockerRepository</c>: no official images, automated builds or stars here.</summary>
public sealed record DockerRepositoryView(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("is_official")] bool IsOfficial,
    [property: JsonPropertyName("is_trusted")] bool IsTrusted,
    [property: JsonPropertyName("star_count")] int StarCount);

/// <summary>What DTR's token clean-up removed (DTR answers 200 with no body; the count is ours).</summary>
public sealed record TokenCleanupView([property: JsonPropertyName("deleted")] int Deleted);

/// <summary>DTR's <c>CreateMirroring</c> and <c>CreateRemoteRegistryCheck</c> forms (<c>remoteTag</c> only for a push).</summary>
public sealed record RemoteForm(
    [property: JsonPropertyName("remoteHost")] string? RemoteHost,
    [property: JsonPropertyName("remoteRepository")] string? RemoteRepository,
    [property: JsonPropertyName("remoteTag")] string? RemoteTag,
    [property: JsonPropertyName("remoteCA")] string? RemoteCa,
    [property: JsonPropertyName("skipTLSVerification")] bool? SkipTlsVerification,
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("authToken")] string? AuthToken);

/// <summary>
/// DTR's <c>CreatePushMirroringPolicy</c>, <c>CreatePollMirroringPolicy</c> and their <c>Update</c> forms (every field
/// optional in an update; <c>rules</c> and <c>tagTemplate</c> only for a push policy).
/// </summary>
public sealed record MirroringPolicyBody(
    [property: JsonPropertyName("rules")] IReadOnlyList<Services.PolicyRule>? Rules,
    [property: JsonPropertyName("tagTemplate")] string? TagTemplate,
    [property: JsonPropertyName("enabled")] bool? Enabled,
    [property: JsonPropertyName("remoteHost")] string? RemoteHost,
    [property: JsonPropertyName("remoteRepository")] string? RemoteRepository,
    [property: JsonPropertyName("remoteCA")] string? RemoteCa,
    [property: JsonPropertyName("skipTLSVerification")] bool? SkipTlsVerification,
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("authToken")] string? AuthToken);

/// <summary>DTR's <c>forms.DeleteMirroringPolicyIDs</c>.</summary>
public sealed record MirroringPolicyIdBody([property: JsonPropertyName("id")] string? Id);

/// <summary>
/// DTR's <c>PushMirroringPolicy</c>, <c>PollMirroringPolicy</c> and <c>MirroringPolicy</c> in one: the poll model has no
/// <c>rules</c> or <c>tagTemplate</c>, and only the list of both carries <c>mirroringType</c>. Never the password.
/// </summary>
public sealed record MirroringPolicyView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("mirroringType"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? MirroringType,
    [property: JsonPropertyName("rules"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Services.PolicyRule>? Rules,
    [property: JsonPropertyName("username")] string Username,
    [property: JsonPropertyName("localRepository")] string LocalRepository,
    [property: JsonPropertyName("remoteHost")] string RemoteHost,
    [property: JsonPropertyName("remoteRepository")] string RemoteRepository,
    [property: JsonPropertyName("remoteCA")] string RemoteCa,
    [property: JsonPropertyName("skipTLSVerification")] bool SkipTlsVerification,
    [property: JsonPropertyName("tagTemplate"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TagTemplate,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("lastMirroredAt")] string LastMirroredAt,
    [property: JsonPropertyName("lastStatus")] MirroringStatusView LastStatus);

/// <summary>DTR's <c>MirroringStatus</c>: <c>code</c> <c>SUCCESS</c> or <c>FAILED</c> (empty, with Go's zero time, before the first run).</summary>
public sealed record MirroringStatusView(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("timestamp")] string Timestamp);

/// <summary>
/// DTR's <c>Promotion</c> on a tag: the policy (<c>manual</c> for a promotion by hand), the source repository and tag,
/// and in <c>string</c>, a field DTR's model requires without saying what it holds, the digest promoted.
/// </summary>
public sealed record TagPromotionView(
    [property: JsonPropertyName("promotionPolicyID")] string PromotionPolicyId,
    [property: JsonPropertyName("sourceRepository")] string SourceRepository,
    [property: JsonPropertyName("sourceTag")] string SourceTag,
    [property: JsonPropertyName("string")] string Digest);

/// <summary>
/// DTR's <c>Mirroring</c>: what a push to a remote wrote (<c>mirroringPolicyID</c> empty for a push asked for by hand), or
/// on a tag, the remote tag a poll mirroring policy brought its image from.
/// </summary>
public sealed record MirroringView(
    [property: JsonPropertyName("mirroringPolicyID")] string MirroringPolicyId,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("remoteRepository")] string RemoteRepository,
    [property: JsonPropertyName("remoteTag")] string RemoteTag);

/// <summary>DTR's <c>RemoteRegistryCheck</c>: <c>registryType</c> is <c>dtr</c> for a registry with DTR's API, else <c>registry</c>.</summary>
public sealed record RemoteRegistryCheckView(
    [property: JsonPropertyName("registryType")] string RegistryType,
    [property: JsonPropertyName("permissions")] RemotePermissionsView Permissions);

public sealed record RemotePermissionsView(
    [property: JsonPropertyName("read")] bool Read,
    [property: JsonPropertyName("write")] bool Write);
