using Azure;
using Azure.Data.Tables;
using Registry.Oci;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>The RepositoryCounts table: a repository's pulls and pushes, added to on condition of the ETag read.</summary>
public sealed class RepositoryCountStore(StorageClients clients) : IRepositoryCountStore
{
    private const int MaxAttempts = 8;
    private readonly TableClient _table = clients.Table(StorageLayout.RepositoryCountsTable);

    public async Task<IReadOnlyDictionary<string, RepositoryCounts>> GetAsync(IReadOnlyList<RepositoryName> names, CancellationToken cancellationToken = default)
    {
        var counts = new Dictionary<string, RepositoryCounts>(StringComparer.Ordinal);
        if (names.Count == 0)
        {
            return counts;
        }

        var keys = names.Select(StorageLayout.Key).Order(StringComparer.Ordinal).ToList();
        var wanted = keys.ToHashSet(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.CountsPartition} and RowKey ge {keys[0]} and RowKey le {keys[^1]}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, 1000, cancellationToken: cancellationToken))
        {
            if (wanted.Contains(row.RowKey))
            {
                counts[StorageLayout.NameOf(row.RowKey)] = new RepositoryCounts(row.GetInt64("Pulls") ?? 0, row.GetInt64("Pushes") ?? 0);
            }
        }

        return counts;
    }

    public async Task AddAsync(RepositoryName name, long pulls, long pushes, CancellationToken cancellationToken = default)
    {
        var key = StorageLayout.Key(name);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var row = await _table.GetOrNullAsync<TableEntity>(StorageLayout.CountsPartition, key, cancellationToken);
            var next = new TableEntity(StorageLayout.CountsPartition, key)
            {
                ["Pulls"] = (row?.GetInt64("Pulls") ?? 0) + pulls,
                ["Pushes"] = (row?.GetInt64("Pushes") ?? 0) + pushes,
            };
            try
            {
                if (row is null)
                {
                    await _table.AddEntityAsync(next, cancellationToken);
                }
                else
                {
                    await _table.UpdateEntityAsync(next, row.ETag, TableUpdateMode.Replace, cancellationToken);
                }

                return;
            }
            catch (RequestFailedException e) when (e.IsConflict() || e.IsPreconditionFailed())
            {
                // another instance flushed first: read again
            }
        }

        throw new InvalidOperationException($"the counts of {name} kept changing under {MaxAttempts} attempts");
    }

    public async Task DeleteAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        await _table.DeleteEntityAsync(StorageLayout.CountsPartition, StorageLayout.Key(name), ETag.All, cancellationToken);
}
