using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A repository's link to a content blob. PartitionKey key(name), RowKey the digest.</summary>
public sealed class BlobLinkEntity : RegistryEntity
{
    public long Size { get; set; }

    public DateTimeOffset LinkedAt { get; set; }

    public BlobLink ToRecord() => Versioned(new BlobLink { Digest = RowKey, Size = Size, LinkedAt = LinkedAt });
}
