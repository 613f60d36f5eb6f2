namespace Registry.Records;

/// <summary>
/// What every record read from a store carries besides its fields: the version a conditional write or delete is
/// conditional on, and when the store last wrote it.
/// </summary>
public abstract class StoredRecord
{
    /// <summary>Opaque; null for a record that was not read from a store.</summary>
    public string? ETag { get; set; }

    /// <summary>When the store last wrote the record (a touch counts); null for one that was not read from a store.</summary>
    public DateTimeOffset? WrittenAt { get; set; }
}

/// <summary>A stored blob as GC sees it: <paramref name="Location"/> is the store's own, <paramref name="Name"/> what it holds (a digest or an upload id).</summary>
public sealed record StoredBlob(string Location, string Name, long Size, string ETag, DateTimeOffset LastModified);

/// <summary>What an upload holds: its length, committed block ids and version (null when nothing is committed yet).</summary>
public sealed record UploadState(long Size, IReadOnlyList<string> CommittedBlocks, string? ETag)
{
    public static readonly UploadState Empty = new(0, [], null);
}
