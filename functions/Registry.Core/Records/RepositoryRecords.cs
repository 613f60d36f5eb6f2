namespace Registry.Records;

/// <summary>A repository and its DTR settings.</summary>
public sealed class RepositoryRecord : StoredRecord
{
    /// <summary>The repository's name (namespace/repository).</summary>
    public string Name { get; set; } = "";

    /// <summary>A new id each time a repository of this name is created.</summary>
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
}

/// <summary>A tag of a repository.</summary>
public sealed class TagRecord : StoredRecord
{
    public string Name { get; set; } = "";

    public string Digest { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When the tag was first pushed; an overwrite keeps it (the tag limit removes tags in this order).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the tag was last pointed at an image (its first push when no update time was kept): what policy rules on <c>updated_at</c> judge.</summary>
    public DateTimeOffset LastPointedAt => UpdatedAt == default ? CreatedAt : UpdatedAt;

    /// <summary>Who last pointed the tag (the pusher's account name); empty when the registry did (a promotion, a cache fill).</summary>
    public string Author { get; set; } = "";

    /// <summary>Where the image came from when the registry last pointed the tag by a policy (a promotion, a poll mirroring).</summary>
    public TagOrigin? Origin { get; set; }
}

/// <summary>
/// Where a tag's image came from when a policy set it: <see cref="Promotion"/> from a repository of this registry, or
/// <see cref="Mirroring"/> from a remote's; the policy's id (<c>manual</c> for a promotion by hand), the source
/// repository and tag, and the digest it named.
/// </summary>
public sealed record TagOrigin(string Kind, string Policy, string Repository, string Tag, string Digest)
{
    public const string Promotion = "promotion";
    public const string Mirroring = "mirroring";

    public string Serialize() => System.Text.Json.JsonSerializer.Serialize(this);

    /// <summary>The origin a tag row keeps; null for none (a client's push) or one that does not read.</summary>
    public static TagOrigin? ParseOrNull(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return null;
        }

        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<TagOrigin>(stored);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// A manifest of a repository. Small manifests carry their exact bytes in <see cref="Content"/> (a pull is then one
/// read); larger ones are read from the content store.
/// </summary>
public sealed class ManifestRecord : StoredRecord
{
    public string Digest { get; set; } = "";

    public string MediaType { get; set; } = "";

    public long Size { get; set; }

    public byte[]? Content { get; set; }

    /// <summary>The digest of the manifest this one refers to, if any.</summary>
    public string? Subject { get; set; }

    public string? ArtifactType { get; set; }

    public DateTimeOffset PushedAt { get; set; }
}

/// <summary>A repository's link to a content blob: what makes the blob the repository's to serve.</summary>
public sealed class BlobLink : StoredRecord
{
    public string Digest { get; set; } = "";

    public long Size { get; set; }

    public DateTimeOffset LinkedAt { get; set; }
}

/// <summary>A manifest that names a subject, as the referrers API lists it.</summary>
public sealed record Referrer(string Digest, string MediaType, long Size, string? ArtifactType, string? Annotations);

/// <summary>An upload session. Its progress is the committed content of the upload, not part of the record.</summary>
public sealed class UploadSession : StoredRecord
{
    public string Id { get; set; } = "";

    /// <summary>The repository the upload was started in.</summary>
    public string Repository { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }
}
