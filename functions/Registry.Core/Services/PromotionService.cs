using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Errors;
using Registry.Oci;
using Registry.Options;
using Registry.Storage;
using Registry.Storage.Entities;

namespace Registry.Services;

/// <summary>A tag that a promotion wrote.</summary>
public sealed record PromotedTag(RepositoryName Target, Tag Tag, Digest Digest);

/// <summary>
/// Promotion policies after DTR: when a tag pushed to the source repository meets every rule of an enabled policy,
/// the image is promoted to the policy's target repository under the policy's tag template. A promotion moves no
/// bytes: the target gets links to the source's blobs (a mount) and the manifests' exact bytes, written through
/// the same manifest push as any client's, so the target's own policies (immutable tags, tag limit, its promotion
/// policies, up to <see cref="MaxChain"/> steps) apply. A promotion that fails (an immutable target tag, say) is
/// logged and does not fail the push that triggered it.
/// </summary>
public sealed partial class PromotionService(
    StorageClients clients, MetadataStore metadata, BlobService blobs, IServiceProvider services, IMemoryCache cache,
    IOptions<RegistryOptions> options, TimeProvider time, ILogger<PromotionService> logger)
{
    /// <summary>Most promotions one push sets off in a chain (A to B to C …); also what stops a cycle.</summary>
    public const int MaxChain = 5;

    private static readonly AsyncLocal<int> ChainDepth = new();

    private readonly TableClient _policies = clients.Table(StorageLayout.PromotionPoliciesTable);
    private readonly TimeSpan _cacheLifetime = options.Value.MetadataCacheLifetime;

    // ManifestService triggers promotions and promotions push manifests; scans trigger promotions and promotions
    // read scan results: both resolved when first needed.
    private ManifestService Manifests => services.GetRequiredService<ManifestService>();

    private Scanning.ScanService Scans => services.GetRequiredService<Scanning.ScanService>();

    public async Task<IReadOnlyList<PromotionPolicyEntity>> ListAsync(RepositoryName source, CancellationToken cancellationToken = default) =>
        await _policies.QueryAsync<PromotionPolicyEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(source)}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken);

    /// <summary>The policies that promote into <paramref name="target"/> (a scan of the policies table).</summary>
    public async Task<IReadOnlyList<PromotionPolicyEntity>> ListByTargetAsync(RepositoryName target, CancellationToken cancellationToken = default) =>
        await _policies.QueryAsync<PromotionPolicyEntity>(TableClient.CreateQueryFilter($"TargetRepository eq {target.Value}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken);

    public async Task<PromotionPolicyEntity?> GetOrNullAsync(RepositoryName source, string id, CancellationToken cancellationToken = default) =>
        await _policies.GetOrNullAsync<PromotionPolicyEntity>(StorageLayout.Key(source), id, cancellationToken);

    public async Task<PromotionPolicyEntity> SaveAsync(
        RepositoryName source, string? id, bool enabled, IReadOnlyList<PolicyRule> rules, RepositoryName target, string tagTemplate,
        CancellationToken cancellationToken = default)
    {
        var entity = new PromotionPolicyEntity
        {
            PartitionKey = StorageLayout.Key(source),
            RowKey = id ?? Guid.NewGuid().ToString("N"),
            Enabled = enabled,
            Rules = PolicyRule.Store(rules),
            TargetRepository = target.Value,
            TagTemplate = tagTemplate,
        };
        await _policies.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        cache.Remove(CacheKey(source));
        return entity;
    }

    public async Task<bool> DeleteAsync(RepositoryName source, string id, CancellationToken cancellationToken = default)
    {
        cache.Remove(CacheKey(source));
        return (await _policies.DeleteEntityAsync(StorageLayout.Key(source), id, ETag.All, cancellationToken)).Status != 404;
    }

    /// <summary>After a push set <paramref name="tags"/> of <paramref name="source"/>: runs the policies they meet.</summary>
    public async Task OnPushAsync(RepositoryName source, IReadOnlyList<Tag> tags, Digest digest, CancellationToken cancellationToken = default)
    {
        if (tags.Count == 0 || ChainDepth.Value >= MaxChain)
        {
            return;
        }

        var policies = await GetEnabledAsync(source, cancellationToken);
        var now = time.GetUtcNow();
        var facts = FactsOnce(source, digest, cancellationToken);
        foreach (var policy in policies)
        {
            foreach (var tag in tags)
            {
                await ApplyAsync(source, policy, tag, digest, now, facts, cancellationToken);
            }
        }
    }

    /// <summary>
    /// After a scan of <paramref name="digest"/>: the policies with rules on scan results run for the tags of the
    /// source that name the image (the others ran at push).
    /// </summary>
    public async Task OnScanAsync(RepositoryName source, Digest digest, CancellationToken cancellationToken = default)
    {
        var policies = (await GetEnabledAsync(source, cancellationToken)).Where(p => PolicyRule.Load(p.Rules).Any(r => r.NeedsScan)).ToList();
        if (policies.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var facts = FactsOnce(source, digest, cancellationToken);
        foreach (var row in (await metadata.ListTagEntitiesAsync(source, cancellationToken)).Where(t => t.Digest == digest.ToString()))
        {
            if (Tag.TryParse(row.RowKey, out var tag))
            {
                foreach (var policy in policies)
                {
                    await ApplyAsync(source, policy, tag, digest, now, facts, cancellationToken);
                }
            }
        }
    }

    /// <summary>initialEvaluation: runs one policy over the source's existing tags; returns how many it promoted.</summary>
    public async Task<int> EvaluateAsync(RepositoryName source, PromotionPolicyEntity policy, CancellationToken cancellationToken = default)
    {
        var promoted = 0;
        var facts = new Dictionary<Digest, Lazy<Task<ImageFacts?>>>();   // per image, for this evaluation
        foreach (var row in await metadata.ListTagEntitiesAsync(source, cancellationToken))
        {
            if (!Tag.TryParse(row.RowKey, out var tag) || !Digest.TryParse(row.Digest, out var digest))
            {
                continue;
            }

            if (!facts.TryGetValue(digest, out var imageFacts))
            {
                facts[digest] = imageFacts = FactsOnce(source, digest, cancellationToken);
            }

            if (await ApplyAsync(source, policy, tag, digest, row.UpdatedAt == default ? row.CreatedAt : row.UpdatedAt, imageFacts, cancellationToken))
            {
                promoted++;
            }
        }

        return promoted;
    }

    /// <summary>
    /// Promotes the image <paramref name="tag"/> of <paramref name="source"/> names to <paramref name="target"/> as
    /// <paramref name="targetTag"/> (DTR's manual promotion). Errors are the manifest push's own (DENIED for an
    /// immutable target tag, MANIFEST_UNKNOWN for a missing source tag).
    /// </summary>
    public async Task<PromotedTag> PromoteAsync(RepositoryName source, Tag tag, RepositoryName target, Tag targetTag, CancellationToken cancellationToken = default)
    {
        ChainDepth.Value++;   // seen by the pushes below (and their promotions), not by the caller
        var image = await Manifests.GetAsync(source, new ManifestReference(tag, null), cancellationToken);
        await CopyAsync(source, target, image, targetTag, cancellationToken);
        return new PromotedTag(target, targetTag, image.Digest);
    }

    /// <summary>The scan facts of an image, read when a rule first needs them and then kept for one push, scan or evaluation.</summary>
    private Lazy<Task<ImageFacts?>> FactsOnce(RepositoryName source, Digest digest, CancellationToken cancellationToken) =>
        new(() => Scans.GetFactsAsync(source, digest, cancellationToken));

    private async Task<bool> ApplyAsync(
        RepositoryName source, PromotionPolicyEntity policy, Tag tag, Digest digest, DateTimeOffset updatedAt, Lazy<Task<ImageFacts?>> facts,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rules = PolicyRule.Load(policy.Rules);
        var scanned = rules.Any(r => r.NeedsScan) ? await facts.Value : null;
        if (!rules.All(r => r.Matches(tag.Value, updatedAt, now, scanned)))
        {
            return false;
        }

        var rendered = TagTemplate.Render(policy.TagTemplate, tag.Value, now);
        if (!RepositoryName.TryParse(policy.TargetRepository, out var target) || !Tag.TryParse(rendered, out var targetTag))
        {
            LogSkipped(logger, policy.RowKey, source.Value, tag.Value, $"{policy.TargetRepository}:{rendered} is not a valid target");
            return false;
        }

        if (!await metadata.RepositoryExistsAsync(target, cancellationToken))
        {
            LogSkipped(logger, policy.RowKey, source.Value, tag.Value, $"the target {target} no longer exists");
            return false;
        }

        try
        {
            ChainDepth.Value++;
            var image = await Manifests.GetAsync(source, new ManifestReference(null, digest), cancellationToken);
            await CopyAsync(source, target, image, targetTag, cancellationToken);
            policy.LastPromotedAt = now;
            await _policies.UpdateEntityAsync(new TableEntity(policy.PartitionKey, policy.RowKey) { ["LastPromotedAt"] = now },
                ETag.All, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is RegistryException or RequestFailedException)
        {
            LogSkipped(logger, policy.RowKey, source.Value, tag.Value, e.Message);
            return false;
        }
    }

    /// <summary>Children first, then the blobs (mounted), then the manifest itself: the order a client pushes in.</summary>
    private async Task CopyAsync(RepositoryName source, RepositoryName target, ManifestService.StoredManifest image, Tag? tag, CancellationToken cancellationToken)
    {
        var parsed = ManifestParser.Parse(image.Content, image.MediaType);
        foreach (var child in parsed.Manifests)
        {
            if (Digest.TryParse(child.Digest, out var childDigest))
            {
                var stored = await Manifests.GetAsync(source, new ManifestReference(null, childDigest), cancellationToken);
                await CopyAsync(source, target, stored, null, cancellationToken);
            }
        }

        foreach (var blob in parsed.Blobs.Where(b => b.Urls is not { Count: > 0 }))
        {
            if (Digest.TryParse(blob.Digest, out var blobDigest) && await blobs.MountAsync(target, blobDigest, source, cancellationToken) is null)
            {
                throw RegistryException.Of(OciErrorCode.BlobUnknown, $"{source} has no blob {blobDigest} to promote", "digest", blobDigest.ToString());
            }
        }

        await Manifests.PutAsync(target, new ManifestReference(tag, tag is null ? image.Digest : null), image.Content, image.MediaType, [], cancellationToken);
    }

    private async Task<IReadOnlyList<PromotionPolicyEntity>> GetEnabledAsync(RepositoryName source, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(CacheKey(source), out IReadOnlyList<PromotionPolicyEntity>? cached))
        {
            return cached!;
        }

        var enabled = (await ListAsync(source, cancellationToken)).Where(p => p.Enabled).ToList();
        cache.Set(CacheKey(source), (IReadOnlyList<PromotionPolicyEntity>)enabled, _cacheLifetime);
        return enabled;
    }

    private static (string, string) CacheKey(RepositoryName source) => ("promotion", source.Value);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Promotion policy {Policy} did not promote {Source}:{Tag}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string policy, string source, string tag, string reason);
}
