using Azure;
using Azure.Data.Tables;
using Registry.Oci;
using Registry.Records;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>The Caches table, its one owner: claims on blob fetches of a cache, and the content caches of an origin.</summary>
public sealed class CacheStore(StorageClients clients, TimeProvider time) : ICacheStore
{
    private readonly TableClient _table = clients.Table(StorageLayout.CachesTable);

    public async Task<bool> TryClaimFetchAsync(Digest digest, string owner, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        var claim = new TableEntity(StorageLayout.FetchClaimsPartition, digest.ToString()) { ["Owner"] = owner, ["ClaimedAt"] = time.GetUtcNow() };
        try
        {
            await _table.AddEntityAsync(claim, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            var held = await _table.GetOrNullAsync<TableEntity>(StorageLayout.FetchClaimsPartition, digest.ToString(), cancellationToken);
            if (held is null || IsLive(held, lifetime))
            {
                return false;   // gone since (the fetch ended: the caller looks again) or held
            }

            try
            {
                await _table.UpdateEntityAsync(claim, held.ETag, TableUpdateMode.Replace, cancellationToken);
                return true;
            }
            catch (RequestFailedException lost) when (lost.IsPreconditionFailed() || lost.IsNotFound())
            {
                return false;
            }
        }
    }

    public async Task<bool> IsFetchClaimedAsync(Digest digest, TimeSpan lifetime, CancellationToken cancellationToken = default) =>
        await _table.GetOrNullAsync<TableEntity>(StorageLayout.FetchClaimsPartition, digest.ToString(), cancellationToken) is { } held
        && IsLive(held, lifetime);

    public async Task ReleaseFetchAsync(Digest digest, string owner, CancellationToken cancellationToken = default)
    {
        var held = await _table.GetOrNullAsync<TableEntity>(StorageLayout.FetchClaimsPartition, digest.ToString(), cancellationToken);
        if (held is not null && held.GetString("Owner") == owner)
        {
            await _table.DeleteEntityAsync(held.PartitionKey, held.RowKey, held.ETag, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<ContentCacheRecord>> ListContentCachesAsync(CancellationToken cancellationToken = default) =>
        (await _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.ContentCachesPartition}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken)).Select(ToRecord).ToList();

    public async Task<ContentCacheRecord?> GetContentCacheOrNullAsync(string id, CancellationToken cancellationToken = default) =>
        (await ListContentCachesAsync(cancellationToken)).FirstOrDefault(c => c.Id == id);

    public async Task<bool> AddContentCacheAsync(ContentCacheRecord cache, CancellationToken cancellationToken = default)
    {
        try
        {
            await _table.AddEntityAsync(new TableEntity(StorageLayout.ContentCachesPartition, cache.Name)
            {
                ["Id"] = cache.Id, ["Host"] = cache.Host, ["CreatedAt"] = cache.CreatedAt,
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
    }

    public async Task<bool> DeleteContentCacheAsync(string id, CancellationToken cancellationToken = default)
    {
        var cache = await GetContentCacheOrNullAsync(id, cancellationToken);
        return cache is not null
            && (await _table.DeleteEntityAsync(StorageLayout.ContentCachesPartition, cache.Name, ETag.All, cancellationToken)).Status != 404;
    }

    private bool IsLive(TableEntity claim, TimeSpan lifetime) =>
        claim.GetDateTimeOffset("ClaimedAt") is { } at && time.GetUtcNow() - at < lifetime;

    private static ContentCacheRecord ToRecord(TableEntity row) => new()
    {
        Name = row.RowKey,
        Id = row.GetString("Id") ?? "",
        Host = row.GetString("Host") ?? "",
        CreatedAt = row.GetDateTimeOffset("CreatedAt") ?? default,
        ETag = row.ETag.ToString(),
        WrittenAt = row.Timestamp,
    };
}
