using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Scanning;
using Registry.Storage.Entities;

namespace Registry.Storage;

/// <summary>
/// What scanning keeps, its one owner: the Scans and ScanOverrides tables, the scan records under <c>scans/v1/</c>
/// (layer analyses, inventories, reports; JSON) and the scan queue.
/// </summary>
public sealed class ScanStore(StorageClients clients, IOptions<ScanOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TableClient _scans = clients.Table(StorageLayout.ScansTable);
    private readonly TableClient _overrides = clients.Table(StorageLayout.ScanOverridesTable);

    // ---- scan rows ------------------------------------------------------------------------------------

    public async Task<ScanEntity?> GetScanOrNullAsync(Digest digest, CancellationToken cancellationToken = default) =>
        await _scans.GetOrNullAsync<ScanEntity>(digest.ToString(), StorageLayout.ScanRow, cancellationToken);

    /// <summary>A new scan row of an image.</summary>
    public static ScanEntity NewScan(Digest digest) => new() { PartitionKey = digest.ToString(), RowKey = StorageLayout.ScanRow };

    /// <summary>Writes a scan row whole (<paramref name="merge"/>: only the columns it sets, the others stay).</summary>
    public async Task SaveScanAsync(ScanEntity scan, bool merge, CancellationToken cancellationToken = default) =>
        await _scans.UpsertEntityAsync(scan, merge ? TableUpdateMode.Merge : TableUpdateMode.Replace, cancellationToken);

    /// <summary>Sets an image's scan status and error (and when it started, if given); the other columns stay.</summary>
    public async Task SetStatusAsync(Digest digest, int status, string? error, DateTimeOffset? startedAt, CancellationToken cancellationToken = default)
    {
        var row = new TableEntity(digest.ToString(), StorageLayout.ScanRow) { ["Status"] = status, ["Error"] = error ?? "" };
        if (startedAt is { } at)
        {
            row["StartedAt"] = at;
        }

        await _scans.UpsertEntityAsync(row, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>The scan rows with <paramref name="status"/>.</summary>
    public IAsyncEnumerable<ScanEntity> ListByStatusAsync(int status, CancellationToken cancellationToken = default) =>
        _scans.QueryAsync<ScanEntity>(s => s.Status == status, cancellationToken: cancellationToken);

    // ---- overrides (DTR's layer overrides) --------------------------------------------------------------

    public async Task<IReadOnlyList<ScanOverrideEntity>> ListOverridesAsync(CancellationToken cancellationToken = default) =>
        await _overrides.QueryAsync<ScanOverrideEntity>(cancellationToken: cancellationToken).TakeAsync(10_000, cancellationToken);

    /// <summary>The overrides of the given layers.</summary>
    public async Task<IReadOnlyList<ScanOverrideEntity>> ListOverridesAsync(IEnumerable<string> layers, CancellationToken cancellationToken = default)
    {
        var found = new List<ScanOverrideEntity>();
        foreach (var layer in layers.Distinct())
        {
            found.AddRange(await _overrides.QueryAsync<ScanOverrideEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {layer}"), cancellationToken: cancellationToken)
                .TakeAsync(1000, cancellationToken));
        }

        return found;
    }

    /// <summary>Adds an override of <paramref name="layer"/> under a new id.</summary>
    public async Task<ScanOverrideEntity> AddOverrideAsync(Digest layer, ScanOverrideEntity entity, CancellationToken cancellationToken = default)
    {
        entity.PartitionKey = layer.ToString();
        entity.RowKey = Guid.NewGuid().ToString("N");
        await _overrides.AddEntityAsync(entity, cancellationToken);
        return entity;
    }

    /// <summary>Removes an override by id; false when there is none.</summary>
    public async Task<bool> DeleteOverrideAsync(string id, CancellationToken cancellationToken = default)
    {
        var found = await _overrides.QueryAsync<ScanOverrideEntity>(TableClient.CreateQueryFilter($"RowKey eq {id}"), cancellationToken: cancellationToken)
            .TakeAsync(1, cancellationToken);
        if (found.Count == 0)
        {
            return false;
        }

        await _overrides.DeleteEntityAsync(found[0].PartitionKey, found[0].RowKey, ETag.All, cancellationToken);
        return true;
    }

    // ---- scan records -----------------------------------------------------------------------------------

    /// <summary>Writes a scan record (<paramref name="kind"/>: layers, inventories or reports) of a digest.</summary>
    public async Task WriteRecordAsync<T>(string kind, Digest digest, T value, CancellationToken cancellationToken = default) =>
        await clients.Container.GetBlobClient(StorageLayout.ScanPath(kind, digest))
            .UploadAsync(BinaryData.FromObjectAsJson(value, Json), overwrite: true, cancellationToken);

    /// <summary>A scan record of a digest, or null when there is none.</summary>
    public async Task<T?> ReadRecordOrNullAsync<T>(string kind, Digest digest, CancellationToken cancellationToken = default)
        where T : class
    {
        try
        {
            var result = await clients.Container.GetBlobClient(StorageLayout.ScanPath(kind, digest)).DownloadContentAsync(cancellationToken);
            return result.Value.Content.ToObjectFromJson<T>(Json);
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return null;
        }
    }

    // ---- the queue ----------------------------------------------------------------------------------------

    /// <summary>Puts a job on the scan queue (made when missing).</summary>
    public async Task EnqueueAsync(ScanJob job, CancellationToken cancellationToken = default)
    {
        var queue = clients.Queue(options.Value.Queue);
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await queue.SendMessageAsync(JsonSerializer.Serialize(job, Json), cancellationToken);
    }
}
