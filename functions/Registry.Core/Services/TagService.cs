using Registry.Oci;
using Registry.Stores;
using Registry.Records;

namespace Registry.Services;

/// <summary>The outcome of a tag write.</summary>
public enum TagWriteResult
{
    Done,
    NotFound,
    Immutable,
}

/// <summary>
/// Tag writes under the repository's policies. An immutable tag (see <see cref="TagPolicy"/>) is created once and
/// then neither moved nor deleted; pushing the same digest again is allowed. Creation is create-only, so of two
/// racing first pushes of an immutable tag exactly one wins. A mutable tag is moved on condition of its ETag (the
/// last writer wins, the first-push time stays). After a new tag, the tag limit removes the oldest tags by first
/// push (FIFO) until the limit holds; immutable tags are never removed, so a repository whose surplus is all
/// immutable stays above its limit.
/// </summary>
public sealed class TagService(IMetadataStore metadata)
{
    private const int MaxAttempts = 5;

    /// <summary>Whether pointing <paramref name="tag"/> at <paramref name="digest"/> is allowed (checked before content is written).</summary>
    public async Task<TagWriteResult> CheckAsync(RepositoryName name, RepositoryRecord? settings, Tag tag, Digest digest, CancellationToken cancellationToken = default)
    {
        if (!TagPolicy.IsImmutable(settings, tag))
        {
            return TagWriteResult.Done;
        }

        var existing = await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken);
        return existing is null || existing.Digest == digest.ToString() ? TagWriteResult.Done : TagWriteResult.Immutable;
    }

    /// <summary>Points <paramref name="tag"/> at <paramref name="digest"/>, then applies the tag limit when the tag is new.</summary>
    public async Task<TagWriteResult> SetAsync(RepositoryName name, RepositoryRecord? settings, Tag tag, Digest digest, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await metadata.TryAddTagAsync(name, tag, digest, cancellationToken))
            {
                await EnforceLimitAsync(name, settings, cancellationToken);
                return TagWriteResult.Done;
            }

            var existing = await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken);
            if (existing is null)
            {
                continue;   // deleted meanwhile: create it
            }

            if (existing.Digest == digest.ToString())
            {
                return TagWriteResult.Done;
            }

            if (TagPolicy.IsImmutable(settings, tag))
            {
                return TagWriteResult.Immutable;
            }

            if (await metadata.UpdateTagAsync(name, existing, digest, cancellationToken))
            {
                return TagWriteResult.Done;
            }
        }

        throw new InvalidOperationException($"tag {tag} of {name} kept changing under {MaxAttempts} attempts");
    }

    /// <summary>Deletes a tag unless it is immutable.</summary>
    public async Task<TagWriteResult> DeleteAsync(RepositoryName name, RepositoryRecord? settings, Tag tag, CancellationToken cancellationToken = default)
    {
        if (TagPolicy.IsImmutable(settings, tag) && await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken) is not null)
        {
            return TagWriteResult.Immutable;
        }

        return await metadata.DeleteTagAsync(name, tag, cancellationToken) ? TagWriteResult.Done : TagWriteResult.NotFound;
    }

    /// <summary>
    /// Deletes every tag that points at <paramref name="digest"/>, or none when one of them is immutable
    /// (returned in <paramref name="blocking"/>).
    /// </summary>
    public async Task<(TagWriteResult Result, string? Blocking)> DeleteAllOfAsync(
        RepositoryName name, RepositoryRecord? settings, Digest digest, CancellationToken cancellationToken = default)
    {
        var tags = (await metadata.ListTagRecordsAsync(name, cancellationToken)).Where(t => t.Digest == digest.ToString()).ToList();
        foreach (var tag in tags)
        {
            if (Tag.TryParse(tag.Name, out var parsed) && TagPolicy.IsImmutable(settings, parsed))
            {
                return (TagWriteResult.Immutable, tag.Name);
            }
        }

        foreach (var tag in tags)
        {
            if (Tag.TryParse(tag.Name, out var parsed))
            {
                await metadata.DeleteTagAsync(name, parsed, cancellationToken);
            }
        }

        return (TagWriteResult.Done, null);
    }

    private async Task EnforceLimitAsync(RepositoryName name, RepositoryRecord? settings, CancellationToken cancellationToken)
    {
        if (settings is not { TagLimit: > 0 } repository)
        {
            return;
        }

        var tags = await metadata.ListTagRecordsAsync(name, cancellationToken);
        var surplus = tags.Count - repository.TagLimit;
        if (surplus <= 0)
        {
            return;
        }

        var oldest = tags
            .Select(t => (Row: t, Tag: Tag.TryParse(t.Name, out var parsed) ? parsed : (Tag?)null))
            .Where(t => t.Tag is { } tag && !TagPolicy.IsImmutable(repository, tag))
            .OrderBy(t => t.Row.CreatedAt).ThenBy(t => t.Row.Name, StringComparer.Ordinal)
            .Take(surplus);
        foreach (var (_, tag) in oldest)
        {
            await metadata.DeleteTagAsync(name, tag!.Value, cancellationToken);
        }
    }
}
