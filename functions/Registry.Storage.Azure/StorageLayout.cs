using Registry.Oci;

namespace Registry.Storage;

/// <summary>
/// The storage layout, in one place.
/// <code>
/// Blob container &lt;Container&gt;
///   blobs/&lt;alg&gt;/&lt;2 hex&gt;/&lt;hex&gt;   content, shared by every repository, create-only, never rewritten
///                                     (layers, configs and the exact bytes of every manifest); a monolithic upload
///                                     stages its blocks here and commits them only once they hash to the digest
///   uploads/&lt;upload id&gt;             an upload in progress: a block blob, one commit per PATCH
///   scans/v1/layers/&lt;alg&gt;/&lt;hex&gt;.json  what a layer holds (LayerAnalysis), by layer digest: read once for all images
///   scans/v1/inventories/&lt;alg&gt;/&lt;hex&gt;.json  an image's components (by manifest digest), what re-evaluation reads
///   scans/v1/reports/&lt;alg&gt;/&lt;hex&gt;.json  an image's latest report: components, layers, vulnerabilities
///                                     (GC removes the scan records and Scans rows of a digest whose content is gone)
///   keys/token-signing-keys.json      the ES256 keys that sign tokens, newest first (unless Registry:Auth:KeyVaultUri
///                                     keeps them as a Key Vault secret); written on condition of its ETag
///   keys/image-signing.p12.b64        the CA and the certificate that sign images, with their private keys (base64
///                                     PKCS#12; a Key Vault certificate instead when Registry:Auth:KeyVaultUri is set)
///   keys/trust-keys.json              the AES key that seals the timestamp and snapshot keys the server holds for
///                                     GUNs (a Key Vault secret instead when Registry:Auth:KeyVaultUri is set)
///   trust/key(name)/&lt;host&gt;/&lt;role&gt;/&lt;sha256&gt;.json  a Notary metadata file of the GUN &lt;host&gt;/name, create-only,
///                                     visible once the TrustData index names it (host "_" for a GUN without one)
///   vulndb/&lt;version&gt;/&lt;ecosystem&gt;.json.gz   one version of the vulnerability database: per OSV ecosystem, the
///                                     advisories by package name (gzip JSON); never touched by GC; an import
///                                     removes the versions older than the one it replaces
///
/// Tables (each name carries TablePrefix)            PartitionKey              RowKey
///   Repositories  one row per repository            "r"                       key(name)
///   Tags          tag -> manifest digest            key(name)                 tag               (with its author, and the
///                                                                             origin a promotion or poll mirroring gave it)
///   Manifests     a repository's manifests          key(name)                 digest
///   BlobLinks     what a repository may read        key(name)                 digest
///   Referrers     manifests whose subject is X      key(name) "@" X           referrer digest
///   Uploads       upload sessions                   "u"                       upload id
///   Accounts      users and organizations           "a"                       name
///   OrgMembers    members of an organization        org                       user
///   Teams         teams of an organization          org                       team
///   TeamMembers   members of a team                 "org:team"                user
///                 teams of a user                   "~" user                  "org:team"
///   AccessTokens  personal access tokens            account id                SHA-256 of the token
///   TeamAccess    a team's grant on a repository    "r:" key(name)            "org:team"
///                 a team's grant on a namespace     "n:" namespace            "org:team"
///   PruningPolicies  a repository's pruning policies key(name)              policy id        (owner: PolicyStore)
///   PromotionPolicies  promotion policies of a source  key(name)            policy id        (owner: PolicyStore)
///   MirroringPolicies  push and poll mirroring policies of a repository  key(name)  policy id  (owner: PolicyStore; the
///                 remote account's password sealed for the policy)
///   SigningPolicies  a repository's signing policies  key(name)              policy id        (owner: SigningStore)
///   TrustPolicies a namespace's trust policy        "n:" namespace            "*"               (owner: SigningStore)
///                 a repository's trust policy       "n:" its namespace        key(name)         (one query reads both)
///   TrustData     a GUN's current file of a role    key(name) "|" host        "l|" role'        (owner: TrustDataStore)
///                 every version of a role's file    key(name) "|" host        "v|" role' "|" version (19 digits)
///                 every committed checksum          key(name) "|" host        "c|" role' "|" sha256
///                 a server-held key of a role       key(name) "|" host        "k|" role "|" key id
///                 (role' is the role with '/' written as ':'; one partition per GUN, so one transaction commits an update)
///   Events        an event not yet published        "outbox"                  ticks (19 digits) "-" event id   (owner: EventOutbox)
///   RepositoryCounts  a repository's pulls and pushes  "c"                   key(name)         (owner: RepositoryCountStore)
///   Webhooks      a webhook (its secret sealed)     "w"                       webhook id        (owner: WebhookStore)
///   Audit         the registry's audit log          "g"                       entry id: inverted ticks (19 digits) "-" 8 hex
///                 a repository's audit log          "r:" key(name)            entry id          (owner: AuditStore; both newest first)
///   Jobs          a run of background work          "j"                       job id: inverted ticks (19 digits) "-" 8 hex
///                                                                             (newest first; a week old: dropped)  (owner: JobStore)
///   WebhookDeliveries  one try of a delivery        webhook id                inverted ticks (19 digits) "-" try "-" event id
///                                                                             (newest first; rows older than LogRetention are dropped)
///   Caches        a cache's claim on a blob fetch   "f"                       digest            (owner: CacheStore; the claimant's
///                                                                             id and time; a claim older than FetchClaimLifetime is taken over)
///                 a content cache an origin knows  "c"                       cache name        (its id and host)
///   Scans         an image's scan status           manifest digest           "scan"            (owner: ScanStore)
///   ScanOverrides hidden vulnerabilities of a layer  layer digest              override id       (owner: ScanStore)
///   Settings      registry-wide settings (GC)       "settings"                "onlinegc"        (owner: SettingsStore)
///                 the registry's run-time settings  "settings"                "registry"        (createRepositoryOnPush, readOnlyRegistry)
///                 the vulnerability database in use  "settings"                "vulndb"
///                 a timer's last run                "timers"                  the timer's function name
///                 an instance seen (every minute)   "instances"               instance id (rows a day old are dropped)
///
/// Queues
///   &lt;Registry:Scan:Queue&gt;           scan jobs, one per image and platform: {"repository", "digest"} (base64)
///   &lt;Registry:Scan:Queue&gt;-poison    jobs that failed 5 times
///   &lt;Registry:Signing:Queue&gt;        signing jobs: {"repository", "digest", "platforms"} (base64)
///   &lt;Registry:Signing:Queue&gt;-poison jobs that failed 5 times
///   &lt;Registry:Mirroring:Queue&gt;      mirroring jobs: {"repository", "policy"} for a poll, with {"tag", "digest", "remoteTag"}
///                                     for a push (base64)
///   &lt;Registry:Mirroring:Queue&gt;-poison jobs that failed 5 times
///   &lt;Registry:Events:Queue&gt;         published events, one CloudEvent (structured JSON) per message, with the queue publisher
///   &lt;Registry:Webhooks:Queue&gt;       deliveries: {"webhookId", "eventId", "type", "createdAt", "body", "attempt"} (base64); a
///                                     retry is a new message made visible after the backoff
///   &lt;Registry:Webhooks:Queue&gt;-poison deliveries that failed 5 times for want of storage
///
/// key(name) is the repository name with '/' written as ':' (':' is not in the name grammar,
/// '/' is not allowed in table keys).
/// </code>
/// Each table has one owner, the store that implements Registry.Core's interface for it: MetadataStore (Repositories,
/// Tags, Manifests, BlobLinks, Referrers, Uploads), AccountStore (Accounts, OrgMembers, Teams, TeamMembers,
/// AccessTokens, TeamAccess), TrustDataStore (TrustData and trust/), EventOutbox (Events), RepositoryCountStore (RepositoryCounts), WebhookStore (Webhooks,
/// WebhookDeliveries, the webhook queue), JobStore (Jobs), AuditStore (Audit), CacheStore (Caches), PolicyStore (also the mirroring queue), SigningStore (also the signing queue), ScanStore (also the scan records and the scan queue) and SettingsStore as
/// marked; ContentStore keeps blobs/ and uploads/, VulnerabilityShardStore vulndb/, BlobSigningKeyDocument keys/.
/// Nothing outside this project sees a path, key or entity: the stores speak Core's records.
/// Every write of a row or blob changes its ETag and last-modified time. GC judges a row or blob by them and deletes
/// only on condition of the ETag it judged; a push that reuses something old writes it again first ("touches" it).
///
/// Write order: content first, then the blob link or manifest row, then referrer rows, then the tag.
/// A crash leaves only unreferenced content or rows that GC removes, never a visible half-state.
/// </summary>
public static class StorageLayout
{
    public const string RepositoriesTable = "Repositories";
    public const string TagsTable = "Tags";
    public const string ManifestsTable = "Manifests";
    public const string BlobLinksTable = "BlobLinks";
    public const string ReferrersTable = "Referrers";
    public const string UploadsTable = "Uploads";
    public const string AccountsTable = "Accounts";
    public const string OrgMembersTable = "OrgMembers";
    public const string TeamsTable = "Teams";
    public const string TeamMembersTable = "TeamMembers";
    public const string AccessTokensTable = "AccessTokens";
    public const string TeamAccessTable = "TeamAccess";
    public const string PruningPoliciesTable = "PruningPolicies";
    public const string PromotionPoliciesTable = "PromotionPolicies";
    public const string MirroringPoliciesTable = "MirroringPolicies";
    public const string SigningPoliciesTable = "SigningPolicies";
    public const string TrustPoliciesTable = "TrustPolicies";
    public const string NamespaceTrustRow = "*";
    public const string SettingsTable = "Settings";
    public const string ScansTable = "Scans";
    public const string ScanRow = "scan";
    public const string ScanOverridesTable = "ScanOverrides";
    public const string TrustDataTable = "TrustData";
    public const string EventsTable = "Events";
    public const string RepositoryCountsTable = "RepositoryCounts";
    public const string CountsPartition = "c";
    public const string OutboxPartition = "outbox";
    public const string WebhooksTable = "Webhooks";
    public const string WebhooksPartition = "w";
    public const string WebhookDeliveriesTable = "WebhookDeliveries";
    public const string JobsTable = "Jobs";
    public const string AuditTable = "Audit";
    public const string CachesTable = "Caches";
    public const string FetchClaimsPartition = "f";
    public const string ContentCachesPartition = "c";

    /// <summary>The Audit partition of the registry's log (no repository) or of a repository's.</summary>
    public static string AuditPartition(string? repository) => repository is null ? "g" : $"r:{Key(repository)}";
    public const string JobsPartition = "j";

    /// <summary>The row of one try of a delivery: newest first, then by try and event.</summary>
    public static string DeliveryRow(DateTimeOffset at, int attempt, string eventId) => $"{Records.SortableId.Prefix(at)}-{attempt:D2}-{eventId}";

    public static readonly IReadOnlyList<string> Tables =
    [
        RepositoriesTable, TagsTable, ManifestsTable, BlobLinksTable, ReferrersTable, UploadsTable,
        AccountsTable, OrgMembersTable, TeamsTable, TeamMembersTable, AccessTokensTable, TeamAccessTable,
        PruningPoliciesTable, PromotionPoliciesTable, MirroringPoliciesTable, SigningPoliciesTable, TrustPoliciesTable, SettingsTable, ScansTable, ScanOverridesTable,
        TrustDataTable, EventsTable, RepositoryCountsTable, WebhooksTable, WebhookDeliveriesTable, JobsTable, AuditTable, CachesTable,
    ];

    public const string SettingsPartition = "settings";
    public const string GcSettingsRow = "onlinegc";
    public const string RegistrySettingsRow = "registry";
    public const string VulnerabilityDatabaseRow = "vulndb";
    public const string TimersPartition = "timers";
    public const string InstancesPartition = "instances";

    public const string ScansPrefix = "scans/v1/";

    public const string SigningKeysPath = "keys/token-signing-keys.json";

    public const string ImageSigningPath = "keys/image-signing.p12.b64";

    public const string TrustKeysPath = "keys/trust-keys.json";

    /// <summary>The TrustData partition of a GUN, and the range of a repository's GUNs (every host).</summary>
    public static string TrustDataPartition(Trust.Gun gun) => $"{Key(gun.Repository)}|{TrustHost(gun.Host)}";

    public static (string From, string To) TrustDataPartitionsOf(RepositoryName name) => ($"{Key(name)}|", $"{Key(name)}|~");

    /// <summary>The row of a role's current file, of one version, of one checksum, of a server key (and the prefix of a kind).</summary>
    public static string TrustRow(char kind, string role, string? rest = null) =>
        rest is null ? $"{kind}|{role.Replace('/', ':')}" : $"{kind}|{role.Replace('/', ':')}|{rest}";

    public static string TrustRoleOf(string row) => row.Split('|')[1].Replace(':', '/');

    /// <summary>The blob of a GUN's metadata file, and the prefix of all of a GUN's or a repository's files.</summary>
    public static string TrustFilePath(Trust.Gun gun, string role, string sha256) => $"{TrustPrefix(gun)}{role}/{sha256}.json";

    public static string TrustPrefix(Trust.Gun gun) => $"trust/{Key(gun.Repository)}/{TrustHost(gun.Host)}/";

    public static string TrustPrefix(RepositoryName name) => $"trust/{Key(name)}/";

    private static string TrustHost(string host) => host.Length == 0 ? "_" : host;

    /// <summary>The TrustPolicies partition of a namespace: its own policy and its repositories'.</summary>
    public static string TrustPartition(string ns) => $"n:{ns}";

    /// <summary>The TrustPolicies row of a repository's or (<paramref name="isNamespace"/>) a namespace's policy.</summary>
    public static (string Partition, string Row) TrustKeys(string scope, bool isNamespace) =>
        isNamespace ? (TrustPartition(scope), NamespaceTrustRow) : (TrustPartition(Auth.PermissionService.NamespaceOf(scope)), Key(scope));

    /// <summary>The scope a TrustPolicies row is of.</summary>
    public static (string Scope, bool IsNamespace) TrustScopeOf(string partition, string row) =>
        row == NamespaceTrustRow ? (partition[2..], true) : (NameOf(row), false);

    /// <summary>A scan record of a digest: <c>kind</c> is layers, inventories or reports.</summary>
    public static string ScanPath(string kind, Digest digest) => $"{ScansPrefix}{kind}/{digest.Algorithm}/{digest.Hex}.json";

    /// <summary>The digest a scan record's path is about, or null for a path that is not one.</summary>
    public static Digest? ScanDigestOf(string path)
    {
        var parts = path.Split('/');
        return parts.Length == 5 && parts[0] + "/" + parts[1] + "/" == ScansPrefix && parts[4].EndsWith(".json", StringComparison.Ordinal)
            && Digest.TryParse($"{parts[3]}:{parts[4][..^".json".Length]}", out var digest) ? digest : null;
    }

    /// <summary>The blob of one ecosystem's advisories in one version of the vulnerability database.</summary>
    public static string VulnerabilityShardPath(string version, string ecosystem) =>
        $"{VulnerabilityDatabasePrefix}{version}/{Uri.EscapeDataString(ecosystem)}.json.gz";

    /// <summary>Where the versions of the vulnerability database are, each under <c>&lt;version&gt;/</c>.</summary>
    public const string VulnerabilityDatabasePrefix = "vulndb/";

    public const string AccountsPartition = "a";

    public static string TeamKey(string org, string team) => $"{org}:{team}";

    public static string UserTeamsPartition(string user) => $"~{user}";

    public static string NamespaceAccessPartition(string ns) => $"n:{ns}";

    /// <summary>The TeamAccess partition of a grant's target.</summary>
    public static string AccessPartition(Records.GrantTarget target) =>
        target.Repository is { } repository ? $"r:{Key(repository)}" : NamespaceAccessPartition(target.Namespace);

    /// <summary>What the partitions of grants on the repositories of namespace <paramref name="ns"/> start with.</summary>
    public static string NamespaceRepositoriesAccessPrefix(string ns) => $"r:{ns}:";

    public const string RepositoriesPartition = "r";
    public const string UploadsPartition = "u";

    public const string ContentPrefix = "blobs/";
    public const string UploadsPrefix = "uploads/";

    public static string ContentPath(Digest digest) => $"{ContentPrefix}{digest.Algorithm}/{digest.Hex[..2]}/{digest.Hex}";

    public static string UploadPath(string uploadId) => $"{UploadsPrefix}{uploadId}";

    /// <summary>The upload id of an upload blob's path.</summary>
    public static string UploadIdOf(string path) => path[UploadsPrefix.Length..];

    /// <summary>The digest of a content blob's path, or null for a path that is not one.</summary>
    public static Digest? DigestOf(string path)
    {
        var parts = path.Split('/');
        return parts.Length == 4 && parts[0] + "/" == ContentPrefix && Digest.TryParse($"{parts[1]}:{parts[3]}", out var digest) ? digest : null;
    }

    public static string Key(RepositoryName name) => Key(name.Value);

    /// <summary>key(name) of a name that is only compared (a paging cursor), not validated.</summary>
    public static string Key(string name) => name.Replace('/', ':');

    /// <summary>The repository name of a key(name).</summary>
    public static string NameOf(string key) => key.Replace(':', '/');

    public static string ReferrersPartition(RepositoryName name, Digest subject) => $"{Key(name)}@{subject}";
}
