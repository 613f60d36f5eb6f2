using Azure;
using Azure.Data.Tables;
using Registry.Records;

namespace Registry.Storage;

/// <summary>
/// Reading one row, or a bounded number of rows of a query; replacing or deleting one row read earlier on condition of
/// its ETag; deleting every row a filter matches.
/// </summary>
public static class TableQueryExtensions
{
    /// <summary>The row at (<paramref name="partitionKey"/>, <paramref name="rowKey"/>), or null when there is none.</summary>
    public static async Task<T?> GetOrNullAsync<T>(this TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken = default)
        where T : class, ITableEntity
    {
        var result = await table.GetEntityIfExistsAsync<T>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return result.HasValue ? result.Value : null;
    }

    /// <summary>The first <paramref name="count"/> rows of <paramref name="query"/> (none for a count of zero or less).</summary>
    public static async Task<List<T>> TakeAsync<T>(this AsyncPageable<T> query, int count, CancellationToken cancellationToken = default)
        where T : notnull
    {
        var rows = new List<T>(Math.Clamp(count, 0, 1000));
        if (count <= 0)
        {
            return rows;
        }

        await foreach (var row in query.WithCancellation(cancellationToken))
        {
            rows.Add(row);
            if (rows.Count >= count)
            {
                break;
            }
        }

        return rows;
    }

    /// <summary>
    /// Replaces <paramref name="entity"/> on condition of its ETag (the version <paramref name="record"/> was read at),
    /// then gives <paramref name="record"/> the new version. False when the row was written meanwhile or is gone.
    /// </summary>
    public static async Task<bool> ReplaceIfUnchangedAsync(
        this TableClient table, ITableEntity entity, StoredRecord record, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
            record.ETag = response.Headers.ETag?.ToString();
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return false;
        }
    }

    /// <summary>
    /// Deletes the row (<paramref name="partitionKey"/>, <paramref name="rowKey"/>) that <paramref name="read"/> was read
    /// from, on condition that it has not been written since. False when it was written meanwhile or is gone; a record
    /// that was not read from storage (no ETag) is refused rather than deleted without a condition.
    /// </summary>
    public static async Task<bool> DeleteIfUnchangedAsync(
        this TableClient table, string partitionKey, string rowKey, StoredRecord read, CancellationToken cancellationToken = default)
    {
        var etag = new ETag(read.ETag ?? throw new ArgumentException("Only what was read can be deleted on condition", nameof(read)));
        try
        {
            return (await table.DeleteEntityAsync(partitionKey, rowKey, etag, cancellationToken)).Status != 404;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed())
        {
            return false;
        }
    }

    /// <summary>Deletes every row that <paramref name="filter"/> matches, whatever its ETag.</summary>
    public static async Task DeleteWhereAsync(this TableClient table, string filter, CancellationToken cancellationToken = default)
    {
        await foreach (var row in table.QueryAsync<TableEntity>(filter, 1000, ["PartitionKey", "RowKey"], cancellationToken))
        {
            await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
        }
    }
}
