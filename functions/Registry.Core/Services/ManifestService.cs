using Microsoft.Extensions.Options;
using Registry.Errors;
using Registry.Oci;
using Registry.Options;
using Registry.Stores;
using Registry.Records;

namespace Registry.Services;

/// <summary>
/// Manifests: pull by tag or digest, write with reference checks, delete (distribution-spec). The writer has no side
/// effects beyond the manifest and its tags: what follows a push runs in <see cref="PushPipeline"/>.
/// </summary>
public sealed class ManifestService(
    IMetadataStore metadata, IContentStore content, TagService tags, Events.EventService events, RepositoryCounters counters, IOptions<GcOptions> gc)
{
    private readonly TimeSpan _touchInterval = gc.Value.TouchInterval;

    /// <summary>A stored manifest and its exact bytes.</summary>
    public sealed record StoredManifest(Digest Digest, string MediaType, ReadOnlyMemory<byte> Content);

    /// <summary>Resolves a tag or digest to the manifest; MANIFEST_UNKNOWN when the repository has none.</summary>
    public async Task<StoredManifest> GetAsync(RepositoryName name, ManifestReference reference, CancellationToken cancellationToken = default)
    {
        var digest = reference.Digest ?? await metadata.GetTagOrNullAsync(name, reference.Tag!.Value, cancellationToken)
            ?? throw Unknown(reference);
        var row = await metadata.GetManifestOrNullAsync(name, digest, cancellationToken) ?? throw Unknown(reference);
        var bytes = row.Content ?? await content.ReadAllAsync(digest, cancellationToken);
        return new StoredManifest(digest, row.MediaType, bytes);
    }

    /// <summary>
    /// Stores a manifest after checking it and that every blob and child manifest it names is in the repository.
    /// Content goes first, then the manifest row, the referrer row and last the tags (a tag limit prunes as the tag is
    /// set). Rewriting the manifest row (a new Timestamp and ETag) is what keeps a concurrent GC from deleting it as
    /// untagged. Returns the push, for the after-push steps.
    /// </summary>
    public async Task<ManifestPush> PutAsync(
        RepositoryName name, ManifestReference reference, ReadOnlyMemory<byte> body, string? contentType,
        IReadOnlyList<Tag> extraTags, string? author, TagOrigin? origin, CancellationToken cancellationToken = default)
    {
        var manifest = ManifestParser.Parse(body, contentType);
        if (reference.Digest is { } expected && expected != manifest.Digest)
        {
            var actual = expected.Algorithm == Digest.Sha256 ? manifest.Digest : expected.Compute(body.Span);
            if (actual != expected)
            {
                throw RegistryException.Of(OciErrorCode.DigestInvalid, "manifest digest does not match the reference", "digest", expected.ToString());
            }
        }

        await CheckReferencesAsync(name, manifest, cancellationToken);

        var digest = reference.Digest ?? manifest.Digest;
        var settings = await metadata.GetRepositoryOrNullAsync(name, cancellationToken);
        var tagsToSet = (reference.Tag is { } first ? extraTags.Prepend(first) : extraTags).Distinct().ToList();
        foreach (var t in tagsToSet)
        {
            Refuse(await tags.CheckAsync(name, settings, t, digest, cancellationToken), name, t);
        }

        await content.PutAsync(digest, body, cancellationToken);
        var stored = manifest with { Digest = digest };
        await metadata.PutManifestAsync(name, stored, body, cancellationToken);
        await metadata.LinkBlobAsync(name, digest, body.Length, cancellationToken);
        if (manifest.Subject is { } subject)
        {
            await metadata.AddReferrerAsync(name, ParseDigest(subject.Digest), stored, cancellationToken);
        }

        await metadata.EnsureRepositoryAsync(name, cancellationToken);
        var moved = new Dictionary<Tag, string>();
        foreach (var t in tagsToSet)
        {
            var (result, movedFrom) = await tags.SetAsync(name, settings, t, digest, author, origin, cancellationToken);
            Refuse(result, name, t);   // another push came first
            if (movedFrom is not null)
            {
                moved[t] = movedFrom;
            }
        }

        return new ManifestPush(name, settings, stored, tagsToSet) { MovedFrom = moved, Author = author };
    }

    /// <summary>
    /// Stores an artifact the registry makes itself (an SBOM, a signature): its blobs (content, then the repository's
    /// links), then its image manifest by digest through the same writer as a client's push.
    /// </summary>
    public async Task<ManifestPush> PutArtifactAsync(
        RepositoryName name, IReadOnlyList<byte[]> blobs, byte[] manifest, CancellationToken cancellationToken = default)
    {
        foreach (var blob in blobs)
        {
            var digest = Digest.ComputeSha256(blob);
            await content.PutAsync(digest, blob, cancellationToken);
            await metadata.LinkBlobAsync(name, digest, blob.Length, cancellationToken);
        }

        return await PutAsync(name, new ManifestReference(null, Digest.ComputeSha256(manifest)), manifest, MediaTypes.ImageManifest, [], null, null, cancellationToken);
    }

    /// <summary>
    /// By tag: removes that tag only. By digest: removes the tags pointing at it, its referrer row, the manifest
    /// and its blob link; the content stays for GC. Immutable tags refuse both (DENIED, nothing removed), and a
    /// manifest that an immutable tag reaches (a child of a tagged index, a referrer of a tagged image) cannot be
    /// deleted by digest either. Raises TAG_DELETE or MANIFEST_DELETE naming <paramref name="author"/>.
    /// </summary>
    public async Task DeleteAsync(RepositoryName name, ManifestReference reference, string? author, CancellationToken cancellationToken = default)
    {
        var settings = await metadata.GetRepositoryOrNullAsync(name, cancellationToken);
        if (reference.Tag is { } tag)
        {
            var deleted = await tags.DeleteAsync(name, settings, tag, author, cancellationToken);
            if (deleted == TagWriteResult.NotFound)
            {
                throw Unknown(reference);
            }

            Refuse(deleted, name, tag);
            return;
        }

        var digest = reference.Digest!.Value;
        var row = await metadata.GetManifestOrNullAsync(name, digest, cancellationToken) ?? throw Unknown(reference);
        if (await FindImmutableTagReachingAsync(name, settings, digest, cancellationToken) is { } holder)
        {
            throw Immutable(name, holder);
        }

        var (result, blocking) = await tags.DeleteAllOfAsync(name, settings, digest, cancellationToken);
        if (Tag.TryParse(blocking, out var blockingTag))
        {
            Refuse(result, name, blockingTag);
        }

        if (row.Subject is { } subject && Digest.TryParse(subject, out var subjectDigest))
        {
            await metadata.RemoveReferrerAsync(name, subjectDigest, digest, cancellationToken);
        }

        await metadata.DeleteManifestAsync(name, digest, cancellationToken);
        await metadata.UnlinkBlobAsync(name, digest, cancellationToken);
        await events.RaiseAsync(await events.ImageEventAsync(Events.EventTypes.ManifestDelete, name, null, digest, null, author, "deletedAt",
            $"{digest}\n{row.ETag}", cancellationToken), cancellationToken);
    }

    /// <summary>A manifest served to <paramref name="author"/>: counted in the repository's pulls, and TAG_PULL or MANIFEST_PULL when someone takes them.</summary>
    public async Task RecordPullAsync(RepositoryName name, ManifestReference reference, StoredManifest manifest, string? author, CancellationToken cancellationToken = default)
    {
        counters.CountPull(name);
        var type = reference.Tag is null ? Events.EventTypes.ManifestPull : Events.EventTypes.TagPull;
        if (!await events.WantsAsync(type, name.Value, cancellationToken))
        {
            return;
        }

        var parsed = ManifestParser.Parse(manifest.Content, manifest.MediaType) with { Digest = manifest.Digest };
        await events.RaiseAsync(await events.ImageEventAsync(type, name, reference.Tag, manifest.Digest, parsed, author, "pulledAt", Guid.NewGuid().ToString("N"), cancellationToken), cancellationToken);
    }

    /// <summary>
    /// An immutable tag of another manifest that reaches <paramref name="digest"/> through index children or
    /// referrers, or null. The repository's rules apply as they are now, whenever its images were pushed.
    /// </summary>
    private async Task<Tag?> FindImmutableTagReachingAsync(
        RepositoryName name, RepositoryRecord? settings, Digest digest, CancellationToken cancellationToken)
    {
        var target = digest.ToString();
        var holders = new List<(Tag Tag, string Digest)>();
        foreach (var row in await metadata.ListTagRecordsAsync(name, cancellationToken))
        {
            if (row.Digest != target && Tag.TryParse(row.Name, out var tag) && TagPolicy.IsImmutable(settings, tag))
            {
                holders.Add((tag, row.Digest));
            }
        }

        if (holders.Count == 0)
        {
            return null;
        }

        var graph = await ManifestGraph.LoadAsync(metadata, content, name, cancellationToken);
        foreach (var (tag, root) in holders)
        {
            if (graph.Reach([root]).Contains(target))
            {
                return tag;
            }
        }

        return null;
    }

    /// <summary>Most lookups one manifest check runs at once (a 4 MiB manifest can name tens of thousands of blobs).</summary>
    private const int ReferenceCheckParallelism = 16;

    private async Task CheckReferencesAsync(RepositoryName name, ParsedManifest manifest, CancellationToken cancellationToken)
    {
        var checks = manifest.Blobs
            .Where(b => b.Urls is not { Count: > 0 })
            .Select(b => (b.Digest, IsManifest: false))
            .Concat(manifest.Manifests.Select(m => (m.Digest, IsManifest: true)))
            .Distinct()
            .ToList();
        string? missing = null;
        await Parallel.ForEachAsync(checks, new ParallelOptions
        {
            MaxDegreeOfParallelism = ReferenceCheckParallelism,
            CancellationToken = cancellationToken,
        }, async (check, ct) =>
        {
            if (Volatile.Read(ref missing) is not null)
            {
                return;
            }

            // Each reference is touched when old, so a GC run that judged it unreferenced fails its conditional
            // delete; when GC deleted it first, the touch finds nothing and the push is refused.
            var digest = ParseDigest(check.Digest);
            var found = check.IsManifest
                ? await metadata.GetManifestOrNullAsync(name, digest, ct) is { } child
                    && await metadata.TouchManifestAsync(name, child, _touchInterval, ct)
                : await metadata.GetBlobLinkRecordOrNullAsync(name, digest, ct) is { } link
                    && await metadata.TouchBlobLinkAsync(name, link, _touchInterval, ct);
            if (!found)
            {
                Interlocked.CompareExchange(ref missing, check.Digest, null);
            }
        });

        if (missing is not null)
        {
            throw RegistryException.Of(OciErrorCode.ManifestBlobUnknown,
                "manifest references a manifest or blob unknown to this repository", "digest", missing);
        }
    }

    private static Digest ParseDigest(string value) =>
        Digest.TryParse(value, out var digest) ? digest : throw new InvalidOperationException("descriptor digests are checked by the parser");

    /// <summary>Throws DENIED for a tag write that an immutability rule or trust data refused.</summary>
    private static void Refuse(TagWriteResult result, RepositoryName name, Tag tag)
    {
        switch (result)
        {
            case TagWriteResult.Immutable:
                throw Immutable(name, tag);
            case TagWriteResult.InNotary:
                throw RegistryException.Of(OciErrorCode.Denied,
                    $"TAG_IN_NOTARY: tag={tag} of {name} is signed in Notary with other content; remove its trust data first (notary remove, docker trust revoke)", "tag", tag.Value);
        }
    }

    /// <summary>DENIED, naming the tag, in DTR's words.</summary>
    public static RegistryException Immutable(RepositoryName name, Tag tag) =>
        RegistryException.Of(OciErrorCode.Denied, $"tag={tag} cannot be overwritten or deleted because {name} is an immutable repository or the tag matches an immutability rule", "tag", tag.Value);

    private static RegistryException Unknown(ManifestReference reference) =>
        RegistryException.Of(OciErrorCode.ManifestUnknown, "manifest unknown to registry", reference.IsDigest ? "digest" : "tag", reference.ToString());
}
