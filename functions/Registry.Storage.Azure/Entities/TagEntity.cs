using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A tag. PartitionKey key(name), RowKey the tag.</summary>
public sealed class TagEntity : RegistryEntity
{
    public string Digest { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When the tag was first pushed; an overwrite keeps it (the tag limit removes tags in this order).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Who last pointed the tag; empty when the registry did.</summary>
    public string Author { get; set; } = "";

    /// <summary>Where a policy brought the image from (<see cref="TagOrigin"/> as JSON); empty for a client's push.</summary>
    public string Origin { get; set; } = "";

    public TagRecord ToRecord() => Versioned(new TagRecord
    {
        Name = RowKey, Digest = Digest, UpdatedAt = UpdatedAt, CreatedAt = CreatedAt, Author = Author ?? "", Origin = TagOrigin.ParseOrNull(Origin),
    });
}
