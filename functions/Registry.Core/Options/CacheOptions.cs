namespace Registry.Options;

/// <summary>
/// Pull-through cache mode (<c>Registry:Cache</c>): with an <see cref="Upstream"/>, the registry serves pulls of that
/// registry's content, fetching what it lacks once and keeping it, and refuses pushes.
/// </summary>
public sealed class CacheOptions
{
    public const string Section = "Registry:Cache";

    /// <summary>The registry cached, as <c>https://host[:port]</c>; empty: this registry is not a cache.</summary>
    public string? Upstream { get; set; }

    /// <summary>
    /// True when the upstream is an instance of this registry (its origin): the cache then accepts the origin's tokens,
    /// validated against the keys it publishes at <c>/auth/jwks</c>, and the origin's signed blob redirects.
    /// </summary>
    public bool Origin { get; set; }

    /// <summary>This cache's name as the origin registered it (<c>/api/v0/content_caches</c>): signed redirects name it.</summary>
    public string Name { get; set; } = "";

    /// <summary>The account the cache reads the upstream with (empty: anonymous); at an origin, one that can read what the cache serves.</summary>
    public string? Username { get; set; }

    /// <summary>Its password or access token (a Key Vault reference in Azure; never logged).</summary>
    public string? Password { get; set; }

    /// <summary>How long a tag is served as cached before it is checked against the upstream again (a HEAD).</summary>
    public TimeSpan TagRevalidateAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a pull of a blob another request is fetching waits for it before it answers 503.</summary>
    public TimeSpan FetchWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long one upstream request may take to answer (its headers; a blob's body may take longer).</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A fetch claim older than this is taken to be abandoned (its instance died), and another instance fetches the blob.</summary>
    public TimeSpan FetchClaimLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Bytes of content the cache keeps (0: no limit); beyond it, GC evicts the least recently pulled images.</summary>
    public long MaxBytes { get; set; }

    /// <summary>Six-field CRON of the cache's maintenance timer: eviction beyond <see cref="MaxBytes"/>, then warming.</summary>
    public string Schedule { get; set; } = "0 */30 * * * *";

    /// <summary>
    /// What the maintenance timer fetches ahead of pulls (DTR's poll mirroring): <c>repository:tag-pattern</c>, the
    /// pattern a regular expression the whole tag must match, e.g. <c>library/alpine:3\.2[0-9]</c>.
    /// </summary>
    public List<string> Warm { get; set; } = [];

    /// <summary>At an origin: how long a signed redirect to a content cache may be followed.</summary>
    public TimeSpan RedirectLifetime { get; set; } = TimeSpan.FromMinutes(2);

    public bool Enabled => !string.IsNullOrWhiteSpace(Upstream);

    /// <summary>The upstream as a URI, or null when it is not an absolute http(s) URL.</summary>
    public Uri? UpstreamUri() =>
        Uri.TryCreate(Upstream?.TrimEnd('/'), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : null;
}
