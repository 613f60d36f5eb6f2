using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A manifest that names a subject. PartitionKey key(name)@subject, RowKey the referrer's digest.</summary>
public sealed class ReferrerEntity : RegistryEntity
{
    public string MediaType { get; set; } = "";

    public long Size { get; set; }

    public string? ArtifactType { get; set; }

    /// <summary>The referrer's annotations as a JSON object, or null.</summary>
    public string? Annotations { get; set; }

    public Referrer ToRecord() => new(RowKey, MediaType, Size, ArtifactType, Annotations);
}
