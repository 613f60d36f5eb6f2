using Azure;
using Azure.Data.Tables;
using Registry.Records;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>The Audit table, its one owner: the registry's log and each repository's, rows newest first.</summary>
public sealed class AuditStore(StorageClients clients) : IAuditStore
{
    private readonly TableClient _audit = clients.Table(StorageLayout.AuditTable);

    public async Task AddAsync(AuditEntry entry, bool inRepository, CancellationToken cancellationToken = default)
    {
        await _audit.UpsertEntityAsync(Row(StorageLayout.AuditPartition(null), entry), TableUpdateMode.Replace, cancellationToken);
        if (inRepository && entry.Repository.Length > 0)
        {
            await _audit.UpsertEntityAsync(Row(StorageLayout.AuditPartition(entry.Repository), entry), TableUpdateMode.Replace, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(string? repository, string? start, int limit, CancellationToken cancellationToken = default) =>
        (await _audit.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.AuditPartition(repository)} and RowKey ge {start ?? ""}"),
            Math.Min(limit, 1000), cancellationToken: cancellationToken).TakeAsync(limit, cancellationToken))
        .Select(e => new AuditEntry(e.RowKey, e.GetDateTimeOffset("At") ?? default, e.GetString("Actor") ?? "", e.GetString("Action") ?? "",
            e.GetString("Method") ?? "", e.GetString("Path") ?? "", e.GetString("Repository") ?? "", e.GetInt32("Status") ?? 0, e.GetString("ClientIp") ?? ""))
        .ToList();

    public async Task<int> TrimAsync(string? repository, DateTimeOffset before, int keep, CancellationToken cancellationToken = default)
    {
        var partition = StorageLayout.AuditPartition(repository);
        var removed = 0;
        var kept = 0;
        // newest first: the first `keep` rows younger than `before` stay, every later one goes
        var oldest = SortableId.Prefix(before);
        await foreach (var row in _audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), 1000, ["PartitionKey", "RowKey"],
            cancellationToken))
        {
            if (kept < keep && string.CompareOrdinal(row.RowKey, oldest) < 0)
            {
                kept++;
                continue;
            }

            await _audit.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
            removed++;
        }

        return removed;
    }

    public Task DeleteRepositoryAsync(string repository, CancellationToken cancellationToken = default) =>
        _audit.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.AuditPartition(repository)}"), cancellationToken);

    private static TableEntity Row(string partition, AuditEntry entry) => new(partition, entry.Id)
    {
        ["At"] = entry.At, ["Actor"] = entry.Actor, ["Action"] = entry.Action, ["Method"] = entry.Method, ["Path"] = entry.Path,
        ["Repository"] = entry.Repository, ["Status"] = entry.Status, ["ClientIp"] = entry.ClientIp,
    };
}
