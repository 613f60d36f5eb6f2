namespace Registry.Storage.Entities;

/// <summary>A tag. PartitionKey key(name), RowKey the tag.</summary>
public sealed class TagEntity : RegistryEntity
{
    public string Digest { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }
}
