using Azure;
using Azure.Data.Tables;
using Registry.Oci;
using Registry.Records;
using Registry.Storage.Entities;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>The PruningPolicies and PromotionPolicies tables, their one owner: a repository's policies by id.</summary>
public sealed class PolicyStore(StorageClients clients) : IPolicyStore
{
    private readonly TableClient _pruning = clients.Table(StorageLayout.PruningPoliciesTable);
    private readonly TableClient _promotion = clients.Table(StorageLayout.PromotionPoliciesTable);

    // ---- pruning --------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<PruningPolicy>> ListPruningAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        (await _pruning.QueryAsync<PruningPolicyEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(name)}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken)).Select(p => p.ToRecord()).ToList();

    public async Task<PruningPolicy?> GetPruningOrNullAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        (await _pruning.GetOrNullAsync<PruningPolicyEntity>(StorageLayout.Key(name), id, cancellationToken))?.ToRecord();

    /// <summary>Adds (a new id when <paramref name="id"/> is null) or replaces a pruning policy.</summary>
    public async Task<PruningPolicy> SavePruningAsync(RepositoryName name, string? id, bool enabled, string rules, CancellationToken cancellationToken = default)
    {
        var entity = new PruningPolicyEntity { PartitionKey = StorageLayout.Key(name), RowKey = id ?? NewId(), Enabled = enabled, Rules = rules };
        await _pruning.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        return entity.ToRecord();
    }

    public async Task<bool> DeletePruningAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        (await _pruning.DeleteEntityAsync(StorageLayout.Key(name), id, ETag.All, cancellationToken)).Status != 404;

    public async Task MarkPrunedAsync(PruningPolicy policy, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await _pruning.UpdateEntityAsync(new TableEntity(StorageLayout.Key(policy.Repository), policy.Id) { ["LastPrunedAt"] = at },
            ETag.All, TableUpdateMode.Merge, cancellationToken);

    /// <summary>The repositories that have pruning policies.</summary>
    public async Task<IReadOnlyList<RepositoryName>> ListPrunedRepositoriesAsync(CancellationToken cancellationToken = default)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var row in _pruning.QueryAsync<TableEntity>(select: ["PartitionKey"], cancellationToken: cancellationToken))
        {
            names.Add(row.PartitionKey);
        }

        var repositories = new List<RepositoryName>();
        foreach (var key in names)
        {
            if (RepositoryName.TryParse(StorageLayout.NameOf(key), out var name))
            {
                repositories.Add(name);
            }
        }

        return repositories;
    }

    // ---- promotion ------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<PromotionPolicy>> ListPromotionAsync(RepositoryName source, CancellationToken cancellationToken = default) =>
        (await _promotion.QueryAsync<PromotionPolicyEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(source)}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken)).Select(p => p.ToRecord()).ToList();

    /// <summary>The policies that promote into <paramref name="target"/> (a scan of the table).</summary>
    public async Task<IReadOnlyList<PromotionPolicy>> ListPromotionByTargetAsync(RepositoryName target, CancellationToken cancellationToken = default) =>
        (await _promotion.QueryAsync<PromotionPolicyEntity>(TableClient.CreateQueryFilter($"TargetRepository eq {target.Value}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken)).Select(p => p.ToRecord()).ToList();

    public async Task<PromotionPolicy?> GetPromotionOrNullAsync(RepositoryName source, string id, CancellationToken cancellationToken = default) =>
        (await _promotion.GetOrNullAsync<PromotionPolicyEntity>(StorageLayout.Key(source), id, cancellationToken))?.ToRecord();

    /// <summary>Adds (a new id when <paramref name="id"/> is null) or replaces a promotion policy.</summary>
    public async Task<PromotionPolicy> SavePromotionAsync(
        RepositoryName source, string? id, bool enabled, string rules, RepositoryName target, string tagTemplate, CancellationToken cancellationToken = default)
    {
        var entity = new PromotionPolicyEntity
        {
            PartitionKey = StorageLayout.Key(source),
            RowKey = id ?? NewId(),
            Enabled = enabled,
            Rules = rules,
            TargetRepository = target.Value,
            TagTemplate = tagTemplate,
        };
        await _promotion.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        return entity.ToRecord();
    }

    public async Task<bool> DeletePromotionAsync(RepositoryName source, string id, CancellationToken cancellationToken = default) =>
        (await _promotion.DeleteEntityAsync(StorageLayout.Key(source), id, ETag.All, cancellationToken)).Status != 404;

    public async Task MarkPromotedAsync(PromotionPolicy policy, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await _promotion.UpdateEntityAsync(new TableEntity(StorageLayout.Key(policy.Source), policy.Id) { ["LastPromotedAt"] = at },
            ETag.All, TableUpdateMode.Merge, cancellationToken);

    // ---- both -----------------------------------------------------------------------------------------

    /// <summary>Deletes every policy of a repository (when it is deleted: one made again under the name starts without them).</summary>
    public async Task DeleteAllAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(name)}");
        await _pruning.DeleteWhereAsync(filter, cancellationToken);
        await _promotion.DeleteWhereAsync(filter, cancellationToken);
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
