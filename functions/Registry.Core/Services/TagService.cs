using Registry.Oci;
using Registry.Stores;
using Registry.Records;
using Registry.Trust;

namespace Registry.Services;

/// <summary>The outcome of a tag write.</summary>
public enum TagWriteResult
{
    Done,
    NotFound,
    Immutable,

    /// <summary>Notary trust data names the tag (with another digest, for a write): DTR's TAG_IN_NOTARY.</summary>
    InNotary,
}

/// <summary>
/// Tag writes under the repository's policies. An immutable tag (see <see cref="TagPolicy"/>) is created once and
/// then neither moved nor deleted; pushing the same digest again is allowed. Creation is create-only, so of two
/// racing first pushes of an immutable tag exactly one wins. A mutable tag is moved on condition of its ETag (the
/// last writer wins, the first-push time stays). After a new tag, the tag limit removes the oldest tags by first
/// push (FIFO) until the limit holds; immutable tags and tags that trust data names are never removed, so a repository
/// whose surplus is all such tags stays above its limit. A tag that Notary trust data names (targets or targets/releases) is neither deleted
/// nor pointed at another digest until its trust data is removed, as DTR refuses with TAG_IN_NOTARY.
/// </summary>
public sealed class TagService(IMetadataStore metadata, TrustDataService trust, Events.EventService events)
{
    private const int MaxAttempts = 5;

    /// <summary>Whether pointing <paramref name="tag"/> at <paramref name="digest"/> is allowed (checked before content is written).</summary>
    public async Task<TagWriteResult> CheckAsync(RepositoryName name, RepositoryRecord? settings, Tag tag, Digest digest, CancellationToken cancellationToken = default)
    {
        if (await IsHeldByNotaryAsync(name, tag, digest, cancellationToken))
        {
            return TagWriteResult.InNotary;
        }

        if (!TagPolicy.IsImmutable(settings, tag))
        {
            return TagWriteResult.Done;
        }

        var existing = await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken);
        return existing is null || existing.Digest == digest.ToString() ? TagWriteResult.Done : TagWriteResult.Immutable;
    }

    /// <summary>
    /// Points <paramref name="tag"/> at <paramref name="digest"/> for <paramref name="author"/> (from <paramref name="origin"/> when a policy brought it), then applies the tag limit when the tag is new;
    /// <c>MovedFrom</c> is the digest the tag named before when it moved.
    /// </summary>
    public async Task<(TagWriteResult Result, string? MovedFrom)> SetAsync(
        RepositoryName name, RepositoryRecord? settings, Tag tag, Digest digest, string? author, TagOrigin? origin, CancellationToken cancellationToken = default)
    {
        if (await IsHeldByNotaryAsync(name, tag, digest, cancellationToken))
        {
            return (TagWriteResult.InNotary, null);
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await metadata.TryAddTagAsync(name, tag, digest, author, origin, cancellationToken))
            {
                await EnforceLimitAsync(name, settings, cancellationToken);
                return (TagWriteResult.Done, null);
            }

            var existing = await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken);
            if (existing is null)
            {
                continue;   // deleted meanwhile: create it
            }

            if (existing.Digest == digest.ToString())
            {
                return (TagWriteResult.Done, null);
            }

            if (TagPolicy.IsImmutable(settings, tag))
            {
                return (TagWriteResult.Immutable, null);
            }

            var previous = existing.Digest;   // the update writes the new digest into the record
            if (await metadata.UpdateTagAsync(name, existing, digest, author, origin, cancellationToken))
            {
                return (TagWriteResult.Done, previous);
            }
        }

        throw new InvalidOperationException($"tag {tag} of {name} kept changing under {MaxAttempts} attempts");
    }

    /// <summary>Deletes a tag unless it is immutable or named by trust data; raises TAG_DELETE naming <paramref name="author"/>.</summary>
    public async Task<TagWriteResult> DeleteAsync(RepositoryName name, RepositoryRecord? settings, Tag tag, string? author, CancellationToken cancellationToken = default)
    {
        if (await IsHeldByNotaryAsync(name, tag, null, cancellationToken) && await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken) is not null)
        {
            return TagWriteResult.InNotary;
        }

        if (TagPolicy.IsImmutable(settings, tag) && await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken) is not null)
        {
            return TagWriteResult.Immutable;
        }

        var before = await events.WantsAsync(Events.EventTypes.TagDelete, name.Value, cancellationToken) ? await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken) : null;
        if (!await metadata.DeleteTagAsync(name, tag, cancellationToken))
        {
            return TagWriteResult.NotFound;
        }

        if (before is not null && Digest.TryParse(before.Digest, out var digest))
        {
            await events.RaiseAsync(await events.ImageEventAsync(Events.EventTypes.TagDelete, name, tag, digest, null, author, "deletedAt",
                $"{tag}\n{digest}\n{before.UpdatedAt.UtcTicks}", cancellationToken), cancellationToken);
        }

        return TagWriteResult.Done;
    }

    /// <summary>
    /// Deletes every tag that points at <paramref name="digest"/>, or none when one of them is immutable or named by
    /// trust data (returned in <paramref name="blocking"/>).
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

            if (Tag.TryParse(tag.Name, out parsed) && await IsHeldByNotaryAsync(name, parsed, null, cancellationToken))
            {
                return (TagWriteResult.InNotary, tag.Name);
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

    /// <summary>
    /// True when trust data names <paramref name="tag"/> and would no longer match: for a write, when it names other
    /// content than <paramref name="digest"/>; for a delete (no digest), at all.
    /// </summary>
    private async Task<bool> IsHeldByNotaryAsync(RepositoryName name, Tag tag, Digest? digest, CancellationToken cancellationToken) =>
        (await trust.ListSignedTagsAsync(name, cancellationToken)).TryGetValue(tag.Value, out var targets)
            && (digest is not { } d || !targets.Any(t => t.Sha256Hex == d.Hex));

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

        var signed = await trust.ListSignedTagsAsync(name, cancellationToken);
        var oldest = tags
            .Select(t => (Row: t, Tag: Tag.TryParse(t.Name, out var parsed) ? parsed : (Tag?)null))
            .Where(t => t.Tag is { } tag && !TagPolicy.IsImmutable(repository, tag) && !signed.ContainsKey(tag.Value))
            .OrderBy(t => t.Row.CreatedAt).ThenBy(t => t.Row.Name, StringComparer.Ordinal)
            .Take(surplus);
        foreach (var (_, tag) in oldest)
        {
            await metadata.DeleteTagAsync(name, tag!.Value, cancellationToken);
        }
    }
}
