using Azure.Data.Tables;
using Azure;
using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>The table plumbing every entity shares, and the mapping of its version to and from a record's.</summary>
public abstract class RegistryEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>Gives <paramref name="record"/> this row's ETag and last write, and returns it.</summary>
    protected T Versioned<T>(T record)
        where T : StoredRecord
    {
        record.ETag = ETag == default ? null : ETag.ToString();
        record.WrittenAt = Timestamp;
        return record;
    }

    /// <summary>The ETag of a record, for a write or delete conditional on it (any version when it has none).</summary>
    public static ETag VersionOf(StoredRecord record) => record.ETag is { } etag ? new ETag(etag) : ETag.All;
}
