using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Errors;
using Registry.Oci;
using Registry.Options;
using Registry.Stores;
using Registry.Records;

namespace Registry.Services;

/// <summary>
/// Promotion policies after DTR: when a tag pushed to the source repository meets every rule of an enabled policy,
/// the image is promoted to the policy's target repository under the policy's tag template. A promotion moves no
/// bytes: the target gets links to the source's blobs (a mount) and the manifests' exact bytes, written by the same
/// manifest writer as any client's push, so the target's immutable tags and tag limit apply; the pushes a promotion
/// makes are returned, and the caller runs the after-push steps on them (<see cref="PushPipeline"/>), so the target's
/// own promotion policies apply too, up to <see cref="MaxChain"/> steps. A promotion that fails (an immutable target
/// tag, say) is logged and does not fail the push that triggered it.
/// </summary>
public sealed partial class PromotionService(
    IPolicyStore store, IMetadataStore metadata, BlobService blobs, ManifestService manifests, Scanning.ScanResults scans,
    IMemoryCache cache, IOptions<RegistryOptions> options, TimeProvider time, ILogger<PromotionService> logger)
{
    /// <summary>Most promotions one push sets off in a chain (A to B to C …); also what stops a cycle.</summary>
    public const int MaxChain = 5;

    private readonly TimeSpan _cacheLifetime = options.Value.MetadataCacheLifetime;

    public Task<IReadOnlyList<PromotionPolicy>> ListAsync(RepositoryName source, CancellationToken cancellationToken = default) =>
        store.ListPromotionAsync(source, cancellationToken);

    /// <summary>The policies that promote into <paramref name="target"/>.</summary>
    public Task<IReadOnlyList<PromotionPolicy>> ListByTargetAsync(RepositoryName target, CancellationToken cancellationToken = default) =>
        store.ListPromotionByTargetAsync(target, cancellationToken);

    public Task<PromotionPolicy?> GetOrNullAsync(RepositoryName source, string id, CancellationToken cancellationToken = default) =>
        store.GetPromotionOrNullAsync(source, id, cancellationToken);

    public async Task<PromotionPolicy> SaveAsync(
        RepositoryName source, string? id, bool enabled, IReadOnlyList<PolicyRule> rules, RepositoryName target, string tagTemplate,
        CancellationToken cancellationToken = default)
    {
        var policy = await store.SavePromotionAsync(source, id, enabled, PolicyRule.Store(rules), target, tagTemplate, cancellationToken);
        cache.Remove(CacheKey(source));
        return policy;
    }

    public async Task<bool> DeleteAsync(RepositoryName source, string id, CancellationToken cancellationToken = default)
    {
        cache.Remove(CacheKey(source));
        return await store.DeletePromotionAsync(source, id, cancellationToken);
    }

    /// <summary>After a push: runs the source's policies that the tags it set meet; returns the pushes they made.</summary>
    public async Task<IReadOnlyList<ManifestPush>> OnPushAsync(ManifestPush push, CancellationToken cancellationToken = default)
    {
        var made = new List<ManifestPush>();
        if (push.Tags.Count == 0 || push.Chain >= MaxChain)
        {
            return made;
        }

        var source = push.Repository;
        var policies = await GetEnabledAsync(source, cancellationToken);
        var now = time.GetUtcNow();
        var facts = FactsOnce(source, push.Manifest.Digest, cancellationToken);
        foreach (var policy in policies)
        {
            foreach (var tag in push.Tags)
            {
                made.AddRange(await ApplyAsync(source, policy, tag, push.Manifest.Digest, now, facts, push.Chain + 1, cancellationToken));
            }
        }

        return made;
    }

    /// <summary>
    /// After a scan of <paramref name="digest"/>: the policies with rules on scan results run for the tags of the
    /// source that name the image (the others ran at push). Returns the pushes they made.
    /// </summary>
    public async Task<IReadOnlyList<ManifestPush>> OnScanAsync(RepositoryName source, Digest digest, CancellationToken cancellationToken = default)
    {
        var made = new List<ManifestPush>();
        var policies = (await GetEnabledAsync(source, cancellationToken)).Where(p => PolicyRule.Load(p.Rules).Any(r => r.NeedsScan)).ToList();
        if (policies.Count == 0)
        {
            return made;
        }

        var now = time.GetUtcNow();
        var facts = FactsOnce(source, digest, cancellationToken);
        foreach (var row in (await metadata.ListTagRecordsAsync(source, cancellationToken)).Where(t => t.Digest == digest.ToString()))
        {
            if (Tag.TryParse(row.Name, out var tag))
            {
                foreach (var policy in policies)
                {
                    made.AddRange(await ApplyAsync(source, policy, tag, digest, now, facts, 1, cancellationToken));
                }
            }
        }

        return made;
    }

    /// <summary>initialEvaluation: runs one policy over the source's existing tags; returns the pushes it made.</summary>
    public async Task<IReadOnlyList<ManifestPush>> EvaluateAsync(RepositoryName source, PromotionPolicy policy, CancellationToken cancellationToken = default)
    {
        var made = new List<ManifestPush>();
        var facts = new Dictionary<Digest, Lazy<Task<ImageFacts?>>>();   // per image, for this evaluation
        foreach (var row in await metadata.ListTagRecordsAsync(source, cancellationToken))
        {
            if (!Tag.TryParse(row.Name, out var tag) || !Digest.TryParse(row.Digest, out var digest))
            {
                continue;
            }

            if (!facts.TryGetValue(digest, out var imageFacts))
            {
                facts[digest] = imageFacts = FactsOnce(source, digest, cancellationToken);
            }

            made.AddRange(await ApplyAsync(source, policy, tag, digest, row.LastPointedAt, imageFacts, 1, cancellationToken));
        }

        return made;
    }

    /// <summary>
    /// Promotes the image <paramref name="tag"/> of <paramref name="source"/> names to <paramref name="target"/> as
    /// <paramref name="targetTag"/> (DTR's manual promotion); returns the pushes it made, the promoted image last.
    /// Errors are the manifest writer's own (DENIED for an immutable target tag, MANIFEST_UNKNOWN for a missing source tag).
    /// </summary>
    public async Task<IReadOnlyList<ManifestPush>> PromoteAsync(RepositoryName source, Tag tag, RepositoryName target, Tag targetTag, CancellationToken cancellationToken = default)
    {
        var image = await manifests.GetAsync(source, new ManifestReference(tag, null), cancellationToken);
        var made = new List<ManifestPush>();
        await CopyAsync(source, target, image, targetTag, 1, made, new PromotionOrigin(source, tag, PromotionOrigin.Manual), cancellationToken);
        return made;
    }

    /// <summary>The scan facts of an image, read when a rule first needs them and then kept for one push, scan or evaluation.</summary>
    private Lazy<Task<ImageFacts?>> FactsOnce(RepositoryName source, Digest digest, CancellationToken cancellationToken) =>
        new(() => scans.GetFactsAsync(source, digest, cancellationToken));

    /// <summary>Promotes one tag when the policy's rules hold; returns the pushes made (none when they do not, or it failed).</summary>
    private async Task<IReadOnlyList<ManifestPush>> ApplyAsync(
        RepositoryName source, PromotionPolicy policy, Tag tag, Digest digest, DateTimeOffset updatedAt, Lazy<Task<ImageFacts?>> facts,
        int chain, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rules = PolicyRule.Load(policy.Rules);
        var scanned = rules.Any(r => r.NeedsScan) ? await facts.Value : null;
        if (!rules.All(r => r.Matches(tag.Value, updatedAt, now, scanned)))
        {
            return [];
        }

        var rendered = TagTemplate.Render(policy.TagTemplate, tag.Value, now);
        if (!RepositoryName.TryParse(policy.TargetRepository, out var target) || !Tag.TryParse(rendered, out var targetTag))
        {
            LogSkipped(logger, policy.Id, source.Value, tag.Value, $"{policy.TargetRepository}:{rendered} is not a valid target");
            return [];
        }

        if (!await metadata.RepositoryExistsAsync(target, cancellationToken))
        {
            LogSkipped(logger, policy.Id, source.Value, tag.Value, $"the target {target} no longer exists");
            return [];
        }

        var made = new List<ManifestPush>();
        try
        {
            var image = await manifests.GetAsync(source, new ManifestReference(null, digest), cancellationToken);
            await CopyAsync(source, target, image, targetTag, chain, made, new PromotionOrigin(source, tag, policy.Id), cancellationToken);
            policy.LastPromotedAt = now;
            await store.MarkPromotedAsync(policy, now, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One policy's failure (an immutable target tag, a blob gone, storage refusing) leaves the others to run.
            LogSkipped(logger, policy.Id, source.Value, tag.Value, e.Message);
        }

        return made;
    }

    /// <summary>
    /// Children first, then the blobs (mounted), then the manifest itself: the order a client pushes in. Each manifest
    /// written is added to <paramref name="made"/>, <paramref name="chain"/> promotions from a client's push.
    /// </summary>
    private async Task CopyAsync(
        RepositoryName source, RepositoryName target, ManifestService.StoredManifest image, Tag? tag, int chain, List<ManifestPush> made,
        PromotionOrigin? origin, CancellationToken cancellationToken)
    {
        var parsed = ManifestParser.Parse(image.Content, image.MediaType);
        foreach (var child in parsed.Manifests)
        {
            if (Digest.TryParse(child.Digest, out var childDigest))
            {
                var stored = await manifests.GetAsync(source, new ManifestReference(null, childDigest), cancellationToken);
                await CopyAsync(source, target, stored, null, chain, made, null, cancellationToken);
            }
        }

        foreach (var blob in parsed.Blobs.Where(b => b.Urls is not { Count: > 0 }))
        {
            if (Digest.TryParse(blob.Digest, out var blobDigest) && await blobs.LinkFromAsync(target, blobDigest, source, cancellationToken) is null)
            {
                throw RegistryException.Of(OciErrorCode.BlobUnknown, $"{source} has no blob {blobDigest} to promote", "digest", blobDigest.ToString());
            }
        }

        var tagOrigin = origin is null ? null : new TagOrigin(TagOrigin.Promotion, origin.Policy, origin.Source.Value, origin.SourceTag.Value, image.Digest.ToString());
        var push = await manifests.PutAsync(target, new ManifestReference(tag, tag is null ? image.Digest : null), image.Content, image.MediaType, [], null, tagOrigin,
            cancellationToken);
        made.Add(push with { Chain = chain, PromotedFrom = origin });
    }

    private async Task<IReadOnlyList<PromotionPolicy>> GetEnabledAsync(RepositoryName source, CancellationToken cancellationToken) =>
        (await cache.GetOrCreateAsync(CacheKey(source), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = _cacheLifetime;
            return (await ListAsync(source, cancellationToken)).Where(p => p.Enabled).ToList();
        }))!;

    private static (string, string) CacheKey(RepositoryName source) => ("promotion", source.Value);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Promotion policy {Policy} did not promote {Source}:{Tag}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string policy, string source, string tag, string reason);
}
