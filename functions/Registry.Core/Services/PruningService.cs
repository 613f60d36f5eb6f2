using Registry.Oci;
using Registry.Stores;
using Registry.Records;

namespace Registry.Services;

/// <summary>A tag that a pruning run removes (or, in a dry run, would remove).</summary>
public sealed record PrunedTag(
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
    [property: System.Text.Json.Serialization.JsonPropertyName("digest")] string Digest);

/// <summary>
/// Tag pruning after DTR: a tag is pruned when every rule of at least one enabled policy matches it (AND within a
/// policy, OR across policies); rules on scan results read the image's completed scans. Immutable tags are never
/// pruned. Pruning deletes tags only; garbage collection frees the storage later. Runs on a timer over every repository with policies, and at once for one repository when a
/// policy is created or changed with initialEvaluation.
/// </summary>
public sealed class PruningService(IPolicyStore store, IMetadataStore metadata, TagService tags, Scanning.ScanResults scans, TimeProvider time)
{
    public Task<IReadOnlyList<PruningPolicy>> ListAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        store.ListPruningAsync(name, cancellationToken);

    public Task<PruningPolicy?> GetOrNullAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        store.GetPruningOrNullAsync(name, id, cancellationToken);

    public Task<PruningPolicy> SaveAsync(RepositoryName name, string? id, bool enabled, IReadOnlyList<PolicyRule> rules, CancellationToken cancellationToken = default) =>
        store.SavePruningAsync(name, id, enabled, PolicyRule.Store(rules), cancellationToken);

    public Task<bool> DeleteAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        store.DeletePruningAsync(name, id, cancellationToken);

    /// <summary>The tags of <paramref name="name"/> that <paramref name="policies"/> select (immutable ones excluded).</summary>
    public async Task<IReadOnlyList<PrunedTag>> SelectAsync(
        RepositoryName name, IReadOnlyList<IReadOnlyList<PolicyRule>> policies, CancellationToken cancellationToken = default) =>
        await SelectAsync(name, await metadata.GetRepositoryOrNullAsync(name, cancellationToken), policies, cancellationToken);

    private async Task<IReadOnlyList<PrunedTag>> SelectAsync(
        RepositoryName name, RepositoryRecord? settings, IReadOnlyList<IReadOnlyList<PolicyRule>> policies, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var selected = new List<PrunedTag>();
        var needsScan = policies.Any(rules => rules.Any(r => r.NeedsScan));
        var facts = new Dictionary<string, ImageFacts?>(StringComparer.Ordinal);   // per digest, for this run
        foreach (var tag in await metadata.ListTagRecordsAsync(name, cancellationToken))
        {
            if (!Tag.TryParse(tag.Name, out var parsed) || TagPolicy.IsImmutable(settings, parsed))
            {
                continue;
            }

            if (needsScan && !facts.ContainsKey(tag.Digest))
            {
                facts[tag.Digest] = Digest.TryParse(tag.Digest, out var digest) ? await scans.GetFactsAsync(name, digest, cancellationToken) : null;
            }

            var updated = tag.LastPointedAt;
            var image = needsScan ? facts[tag.Digest] : null;
            if (policies.Any(rules => rules.Count > 0 && rules.All(r => r.Matches(tag.Name, updated, now, image))))
            {
                selected.Add(new PrunedTag(tag.Name, tag.Digest));
            }
        }

        return selected;
    }

    /// <summary>Prunes one repository by its enabled policies; returns what was removed.</summary>
    public async Task<IReadOnlyList<PrunedTag>> PruneAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        var policies = (await ListAsync(name, cancellationToken)).Where(p => p.Enabled).ToList();
        var settings = await metadata.GetRepositoryOrNullAsync(name, cancellationToken);
        var selected = await SelectAsync(name, settings, policies.Select(p => PolicyRule.Load(p.Rules)).ToList(), cancellationToken);
        var removed = new List<PrunedTag>();
        foreach (var tag in selected)
        {
            if (Tag.TryParse(tag.Name, out var parsed) && await tags.DeleteAsync(name, settings, parsed, "pruning", cancellationToken) == TagWriteResult.Done)
            {
                removed.Add(tag);
            }
        }

        foreach (var policy in policies)
        {
            policy.LastPrunedAt = time.GetUtcNow();
            await store.MarkPrunedAsync(policy, policy.LastPrunedAt.Value, cancellationToken);
        }

        return removed;
    }

    /// <summary>The timer's run: every repository that has pruning policies. Returns the number of tags removed.</summary>
    public async Task<int> PruneAllAsync(CancellationToken cancellationToken = default)
    {
        var removed = 0;
        foreach (var name in await store.ListPrunedRepositoriesAsync(cancellationToken))
        {
            removed += (await PruneAsync(name, cancellationToken)).Count;
        }

        return removed;
    }
}
