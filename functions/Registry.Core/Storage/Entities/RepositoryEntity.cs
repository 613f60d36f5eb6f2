namespace Registry.Storage.Entities;

/// <summary>A repository. PartitionKey "r", RowKey key(name).</summary>
public sealed class RepositoryEntity : RegistryEntity
{
    public DateTimeOffset CreatedAt { get; set; }
}
