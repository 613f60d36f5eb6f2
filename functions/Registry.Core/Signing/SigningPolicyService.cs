using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Scanning;
using Registry.Services;
using Registry.Stores;

namespace Registry.Signing;

/// <summary>A tag a signing policy selects, and the image it names.</summary>
public sealed record SignedTag(
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
    [property: System.Text.Json.Serialization.JsonPropertyName("digest")] string Digest);

/// <summary>
/// Signing policies, with DTR's rule engine (<see cref="PolicyRule"/>, as pruning and promotion): a policy whose rules
/// hold for a tag queues the signing of the image the tag names. Rules on the tag and its age are judged when the tag
/// is pushed (a client's push or a promotion into the repository: both go through the after-push steps); a policy with
/// rules on scan results is judged when the image's scan completes (a scan rule does not hold before), and an index
/// when the scans of all its platforms have. The dry run
/// lists the tags a policy selects now, signing nothing.
/// </summary>
public sealed class SigningPolicyService(
    ISigningStore store, IMetadataStore metadata, ScanResults scans, IMemoryCache cache, IOptions<RegistryOptions> options, TimeProvider time)
{
    private readonly TimeSpan _cacheLifetime = options.Value.MetadataCacheLifetime;

    public Task<IReadOnlyList<SigningPolicy>> ListAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        store.ListSigningAsync(name, cancellationToken);

    public Task<SigningPolicy?> GetOrNullAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        store.GetSigningOrNullAsync(name, id, cancellationToken);

    public async Task<SigningPolicy> SaveAsync(
        RepositoryName name, string? id, bool enabled, IReadOnlyList<PolicyRule> rules, bool signPlatforms, CancellationToken cancellationToken = default)
    {
        var policy = await store.SaveSigningAsync(name, id, enabled, PolicyRule.Store(rules), signPlatforms, cancellationToken);
        cache.Remove(CacheKey(name));
        return policy;
    }

    public async Task<bool> DeleteAsync(RepositoryName name, string id, CancellationToken cancellationToken = default)
    {
        cache.Remove(CacheKey(name));
        return await store.DeleteSigningAsync(name, id, cancellationToken);
    }

    /// <summary>After a push: queues the signing of the image when a policy without scan rules holds for a tag the push set.</summary>
    public async Task OnPushAsync(ManifestPush push, CancellationToken cancellationToken = default)
    {
        if (push.Tags.Count == 0 || SignatureService.IsAttachment(push.Manifest))
        {
            return;
        }

        var policies = (await GetEnabledAsync(push.Repository, cancellationToken)).Where(p => !PolicyRule.Load(p.Rules).Any(r => r.NeedsScan));
        var now = time.GetUtcNow();
        foreach (var policy in policies)
        {
            if (push.Tags.Any(tag => PolicyRule.Load(policy.Rules).All(r => r.Matches(tag.Value, now, now))))
            {
                await QueueAsync(push.Repository, policy, push.Manifest.Digest, cancellationToken);
            }
        }
    }

    /// <summary>
    /// After a scan of <paramref name="digest"/>: the policies with scan rules, for the tags that name the image, and for
    /// the tags that name an index listing it, once every platform of that index is scanned (judged on the facts of all
    /// its platforms together, as the dry run judges an index).
    /// </summary>
    public async Task OnScanAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        var policies = (await GetEnabledAsync(name, cancellationToken)).Where(p => PolicyRule.Load(p.Rules).Any(r => r.NeedsScan)).ToList();
        if (policies.Count == 0)
        {
            return;
        }

        var tags = await metadata.ListTagRecordsAsync(name, cancellationToken);
        var now = time.GetUtcNow();
        var own = tags.Where(t => t.Digest == digest.ToString()).ToList();
        var facts = await scans.GetFactsAsync(name, digest, cancellationToken);
        foreach (var policy in policies)
        {
            if (own.Any(t => PolicyRule.Load(policy.Rules).All(r => r.Matches(t.Name, t.LastPointedAt, now, facts))))
            {
                await QueueAsync(name, policy, digest, cancellationToken);
            }
        }

        foreach (var index in tags.Where(t => t.Digest != digest.ToString()).GroupBy(t => t.Digest))
        {
            if (!Digest.TryParse(index.Key, out var indexDigest) || await IndexFactsOrNullAsync(name, indexDigest, digest, cancellationToken) is not { } all)
            {
                continue;
            }

            foreach (var policy in policies)
            {
                if (index.Any(t => PolicyRule.Load(policy.Rules).All(r => r.Matches(t.Name, t.LastPointedAt, now, all))))
                {
                    await QueueAsync(name, policy, indexDigest, cancellationToken);
                }
            }
        }
    }

    /// <summary>
    /// The scan facts of the index <paramref name="candidate"/> (all its platforms together) when it is an index that
    /// lists <paramref name="scanned"/> and every one of its platforms is scanned; null otherwise.
    /// </summary>
    private async Task<ImageFacts?> IndexFactsOrNullAsync(RepositoryName name, Digest candidate, Digest scanned, CancellationToken cancellationToken)
    {
        IReadOnlyList<(Digest Digest, string Os, string Architecture)> platforms;
        try
        {
            platforms = await scans.ResolveAsync(name, new ManifestReference(null, candidate), cancellationToken);   // without attestations
        }
        catch (Errors.RegistryException)
        {
            return null;   // the tag's manifest is gone meanwhile
        }

        if (candidate == scanned || !platforms.Any(p => p.Digest == scanned))
        {
            return null;
        }

        foreach (var platform in platforms)
        {
            if (await scans.GetFactsAsync(name, platform.Digest, cancellationToken) is null)
            {
                return null;   // a platform not scanned yet: its own scan's completion judges the index again
            }
        }

        return await scans.GetFactsAsync(name, candidate, cancellationToken);
    }

    /// <summary>The dry run and the initial evaluation: the tags of the repository that <paramref name="rules"/> select now.</summary>
    public async Task<IReadOnlyList<SignedTag>> SelectAsync(RepositoryName name, IReadOnlyList<PolicyRule> rules, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var facts = new Dictionary<string, ImageFacts?>(StringComparer.Ordinal);
        var selected = new List<SignedTag>();
        foreach (var tag in await metadata.ListTagRecordsAsync(name, cancellationToken))
        {
            if (!Digest.TryParse(tag.Digest, out var digest))
            {
                continue;
            }

            if (rules.Any(r => r.NeedsScan) && !facts.ContainsKey(tag.Digest))
            {
                facts[tag.Digest] = await scans.GetFactsAsync(name, digest, cancellationToken);
            }

            if (rules.All(r => r.Matches(tag.Name, tag.LastPointedAt, now, facts.GetValueOrDefault(tag.Digest))))
            {
                selected.Add(new SignedTag(tag.Name, tag.Digest));
            }
        }

        return selected;
    }

    /// <summary>initialEvaluation: queues the signing of every image the policy selects now; returns the tags.</summary>
    public async Task<IReadOnlyList<SignedTag>> EvaluateAsync(RepositoryName name, SigningPolicy policy, CancellationToken cancellationToken = default)
    {
        var selected = await SelectAsync(name, PolicyRule.Load(policy.Rules), cancellationToken);
        foreach (var digest in selected.Select(t => t.Digest).Distinct())
        {
            if (Digest.TryParse(digest, out var parsed))
            {
                await QueueAsync(name, policy, parsed, cancellationToken);
            }
        }

        return selected;
    }

    private async Task QueueAsync(RepositoryName name, SigningPolicy policy, Digest digest, CancellationToken cancellationToken)
    {
        await store.EnqueueAsync(new SignJob(name.Value, digest.ToString(), policy.SignPlatforms, time.GetUtcNow()), cancellationToken);
        await store.MarkSignedAsync(policy, time.GetUtcNow(), cancellationToken);
    }

    private async Task<IReadOnlyList<SigningPolicy>> GetEnabledAsync(RepositoryName name, CancellationToken cancellationToken) =>
        (await cache.GetOrCreateAsync(CacheKey(name), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = _cacheLifetime;
            return (await ListAsync(name, cancellationToken)).Where(p => p.Enabled).ToList();
        }))!;

    private static (string, string) CacheKey(RepositoryName name) => ("signing", name.Value);
}
