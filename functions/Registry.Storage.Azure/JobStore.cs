using Azure;
using Azure.Data.Tables;
using Registry.Records;
using Registry.Storage.Entities;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>The Jobs table, its one owner.</summary>
public sealed class JobStore(StorageClients clients) : IJobStore
{
    private readonly TableClient _jobs = clients.Table(StorageLayout.JobsTable);

    public async Task SaveAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        var response = await _jobs.UpsertEntityAsync(JobEntity.From(job), TableUpdateMode.Replace, cancellationToken);
        job.ETag = response.Headers.ETag?.ToString();
    }

    public async Task<JobRecord?> GetOrNullAsync(string id, CancellationToken cancellationToken = default) =>
        (await _jobs.GetOrNullAsync<JobEntity>(StorageLayout.JobsPartition, id, cancellationToken))?.ToRecord();

    public async Task<IReadOnlyList<JobRecord>> ListAsync(string? action, bool? running, string? start, int limit, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.JobsPartition} and RowKey ge {start ?? ""}");
        if (action is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Action eq {action}");
        }

        if (running is { } only)
        {
            filter += " and " + (only
                ? TableClient.CreateQueryFilter($"(Status eq {JobRecord.Running} or Status eq {JobRecord.CancelRequest})")
                : TableClient.CreateQueryFilter($"Status ne {JobRecord.Running} and Status ne {JobRecord.CancelRequest}"));
        }

        return (await _jobs.QueryAsync<JobEntity>(filter, Math.Min(limit, 1000), cancellationToken: cancellationToken).TakeAsync(limit, cancellationToken))
            .Select(j => j.ToRecord()).ToList();
    }

    public Task<bool> UpdateAsync(JobRecord job, CancellationToken cancellationToken = default) =>
        _jobs.ReplaceIfUnchangedAsync(JobEntity.From(job), job, cancellationToken);

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        (await _jobs.DeleteEntityAsync(StorageLayout.JobsPartition, id, ETag.All, cancellationToken)).Status != 404;

    public async Task<int> DeleteOlderAsync(DateTimeOffset before, int most, CancellationToken cancellationToken = default)
    {
        // ids sort newest first: the older ones come after the id a job started at `before` would have
        var rows = await _jobs.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.JobsPartition} and RowKey gt {SortableId.Prefix(before)}"),
            most, ["PartitionKey", "RowKey"], cancellationToken).TakeAsync(most, cancellationToken);
        foreach (var row in rows)
        {
            await _jobs.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
        }

        return rows.Count;
    }
}
