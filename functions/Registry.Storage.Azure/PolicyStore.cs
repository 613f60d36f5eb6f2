using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Storage.Entities;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>
/// The PruningPolicies, PromotionPolicies and MirroringPolicies tables, their one owner (a repository's policies by id),
/// and the mirroring queue.
/// </summary>
public sealed class PolicyStore(StorageClients clients, IOptions<MirroringOptions> mirroringOptions) : IPolicyStore
{
    private readonly TableClient _pruning = clients.Table(StorageLayout.PruningPoliciesTable);
    private readonly TableClient _promotion = clients.Table(StorageLayout.PromotionPoliciesTable);
    private readonly TableClient _mirroring = clients.Table(StorageLayout.MirroringPoliciesTable);

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

    // ---- mirroring ------------------------------------------------------------------------------------

    public async Task<IReadOnlyList<MirroringPolicy>> ListMirroringAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        (await _mirroring.QueryAsync<MirroringPolicyEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(name)}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken)).Select(p => p.ToRecord()).ToList();

    /// <summary>Every repository's poll policies (a scan of the table, which holds only mirroring policies).</summary>
    public async Task<IReadOnlyList<MirroringPolicy>> ListPollMirroringAsync(CancellationToken cancellationToken = default)
    {
        var policies = new List<MirroringPolicy>();
        await foreach (var row in _mirroring.QueryAsync<MirroringPolicyEntity>(TableClient.CreateQueryFilter($"Direction eq {MirroringPolicy.Poll}"),
            cancellationToken: cancellationToken))
        {
            policies.Add(row.ToRecord());
        }

        return policies;
    }

    public async Task<MirroringPolicy?> GetMirroringOrNullAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        (await _mirroring.GetOrNullAsync<MirroringPolicyEntity>(StorageLayout.Key(name), id, cancellationToken))?.ToRecord();

    public async Task SaveMirroringAsync(MirroringPolicy policy, CancellationToken cancellationToken = default) =>
        await _mirroring.UpsertEntityAsync(MirroringPolicyEntity.Of(policy), TableUpdateMode.Replace, cancellationToken);

    public async Task<bool> DeleteMirroringAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        (await _mirroring.DeleteEntityAsync(StorageLayout.Key(name), id, ETag.All, cancellationToken)).Status != 404;

    public async Task MarkMirroredAsync(MirroringPolicy policy, CancellationToken cancellationToken = default)
    {
        var status = new TableEntity(StorageLayout.Key(policy.Repository), policy.Id)
        {
            ["LastStatus"] = policy.LastStatus, ["LastStatusDetail"] = policy.LastStatusDetail, ["LastStatusAt"] = policy.LastStatusAt,
        };
        if (policy.LastMirroredAt is { } at)
        {
            status["LastMirroredAt"] = at;
        }

        try
        {
            await _mirroring.UpdateEntityAsync(status, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // deleted while it ran
        }
    }

    public Task EnqueueMirrorAsync(Mirroring.MirrorJob job, CancellationToken cancellationToken = default) =>
        clients.EnqueueAsync(mirroringOptions.Value.Queue, job, cancellationToken);

    // ---- all ------------------------------------------------------------------------------------------

    /// <summary>Deletes every policy of a repository (when it is deleted: one made again under the name starts without them).</summary>
    public async Task DeleteAllAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(name)}");
        await _pruning.DeleteWhereAsync(filter, cancellationToken);
        await _promotion.DeleteWhereAsync(filter, cancellationToken);
        await _mirroring.DeleteWhereAsync(filter, cancellationToken);
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
