using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A pruning policy of a repository. PartitionKey key(name), RowKey the policy id.</summary>
public sealed class PruningPolicyEntity : RegistryEntity
{
    public bool Enabled { get; set; } = true;

    /// <summary>The rules, as the JSON array DTR's API carries.</summary>
    public string Rules { get; set; } = "[]";

    public DateTimeOffset? LastPrunedAt { get; set; }

    public PruningPolicy ToRecord() => Versioned(new PruningPolicy
    {
        Id = RowKey, Repository = StorageLayout.NameOf(PartitionKey), Enabled = Enabled, Rules = Rules, LastPrunedAt = LastPrunedAt,
    });
}
