using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A repository and its DTR settings. PartitionKey "r", RowKey key(name).</summary>
public sealed class RepositoryEntity : RegistryEntity
{
    public string Id { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>"public" or "private".</summary>
    public string Visibility { get; set; } = "private";

    public string ShortDescription { get; set; } = "";

    public string LongDescription { get; set; } = "";

    public bool ImmutableTags { get; set; }

    /// <summary>Tag patterns that are immutable even when <see cref="ImmutableTags"/> is off, as a JSON array.</summary>
    public string? ImmutableTagPatterns { get; set; }

    public bool ScanOnPush { get; set; }

    /// <summary>Most tags kept (0: no limit); acted on by tag pruning.</summary>
    public int TagLimit { get; set; }

    public RepositoryRecord ToRecord() => Versioned(new RepositoryRecord
    {
        Name = StorageLayout.NameOf(RowKey), Id = Id, CreatedAt = CreatedAt, Visibility = Visibility, ShortDescription = ShortDescription,
        LongDescription = LongDescription, ImmutableTags = ImmutableTags, ImmutableTagPatterns = ImmutableTagPatterns, ScanOnPush = ScanOnPush,
        TagLimit = TagLimit,
    });

    public static RepositoryEntity From(RepositoryRecord r) => new()
    {
        PartitionKey = StorageLayout.RepositoriesPartition, RowKey = StorageLayout.Key(r.Name), ETag = VersionOf(r), Id = r.Id, CreatedAt = r.CreatedAt,
        Visibility = r.Visibility, ShortDescription = r.ShortDescription, LongDescription = r.LongDescription, ImmutableTags = r.ImmutableTags,
        ImmutableTagPatterns = r.ImmutableTagPatterns, ScanOnPush = r.ScanOnPush, TagLimit = r.TagLimit,
    };
}
