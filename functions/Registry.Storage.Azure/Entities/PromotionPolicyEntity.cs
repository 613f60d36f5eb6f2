using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A promotion policy. PartitionKey key(source repository), RowKey the policy id.</summary>
public sealed class PromotionPolicyEntity : RegistryEntity
{
    public bool Enabled { get; set; } = true;

    /// <summary>The rules, as the JSON array DTR's API carries.</summary>
    public string Rules { get; set; } = "[]";

    /// <summary>The target repository's name (namespace/repository).</summary>
    public string TargetRepository { get; set; } = "";

    public string TagTemplate { get; set; } = "%n";

    public DateTimeOffset? LastPromotedAt { get; set; }

    public PromotionPolicy ToRecord() => Versioned(new PromotionPolicy
    {
        Id = RowKey, Source = StorageLayout.NameOf(PartitionKey), Enabled = Enabled, Rules = Rules, TargetRepository = TargetRepository,
        TagTemplate = TagTemplate, LastPromotedAt = LastPromotedAt,
    });
}
