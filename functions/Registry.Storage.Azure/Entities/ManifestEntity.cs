using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>
/// A manifest of a repository. PartitionKey key(name), RowKey the digest. Small manifests carry their
/// exact bytes in <see cref="Content"/> so a pull is one point read; larger ones are read from the content blob.
/// </summary>
public sealed class ManifestEntity : RegistryEntity
{
    /// <summary>Largest manifest kept inline (a binary property holds at most 64 KiB).</summary>
    public const int InlineLimit = 60 * 1024;

    public string MediaType { get; set; } = "";

    public long Size { get; set; }

    public byte[]? Content { get; set; }

    public string? Subject { get; set; }

    public string? ArtifactType { get; set; }

    public DateTimeOffset PushedAt { get; set; }

    public ManifestRecord ToRecord() => Versioned(new ManifestRecord
    {
        Digest = RowKey, MediaType = MediaType, Size = Size, Content = Content, Subject = Subject, ArtifactType = ArtifactType, PushedAt = PushedAt,
    });
}
