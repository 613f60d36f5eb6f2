using Azure;
using Azure.Data.Tables;

namespace Registry.Storage.Entities;

/// <summary>The table plumbing every entity shares.</summary>
public abstract class RegistryEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }
}
