namespace Registry.Records;

/// <summary>A content cache an origin registered (DTR's <c>/content_caches</c>): users who choose it get their blobs from it.</summary>
public sealed class ContentCacheRecord : StoredRecord
{
    public string Id { get; set; } = "";

    /// <summary>Unique; the cache is configured with it (<c>Registry:Cache:Name</c>), and the origin's signed redirects name it.</summary>
    public string Name { get; set; } = "";

    /// <summary>Where clients reach the cache: <c>https://host[:port]</c>.</summary>
    public string Host { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}
