using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Scanning;
using Registry.Storage.Entities;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>
/// What scanning keeps, its one owner: the Scans and ScanOverrides tables, the scan records under <c>scans/v1/</c>
/// (layer analyses, inventories, reports; JSON) and the scan queue.
/// </summary>
public sealed class ScanStore(StorageClients clients, IOptions<ScanOptions> options) : IScanStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TableClient _scans = clients.Table(StorageLayout.ScansTable);
    private readonly TableClient _overrides = clients.Table(StorageLayout.ScanOverridesTable);

    // ---- scan rows ------------------------------------------------------------------------------------

    public async Task<ImageScan?> GetScanOrNullAsync(Digest digest, CancellationToken cancellationToken = default) =>
        (await _scans.GetOrNullAsync<ScanEntity>(digest.ToString(), StorageLayout.ScanRow, cancellationToken))?.ToRecord();

    public async Task SaveScanAsync(ImageScan scan, bool merge, CancellationToken cancellationToken = default) =>
        await _scans.UpsertEntityAsync(ScanEntity.From(scan), merge ? TableUpdateMode.Merge : TableUpdateMode.Replace, cancellationToken);

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

    public async IAsyncEnumerable<ImageScan> ListByStatusAsync(int status, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var scan in _scans.QueryAsync<ScanEntity>(s => s.Status == status, cancellationToken: cancellationToken))
        {
            yield return scan.ToRecord();
        }
    }

    public async Task<IReadOnlyList<ImageScan>> ListScansAsync(CancellationToken cancellationToken = default) =>
        (await _scans.QueryAsync<ScanEntity>(maxPerPage: 1000, select: ["PartitionKey", "RowKey", "Timestamp"], cancellationToken: cancellationToken)
            .TakeAsync(int.MaxValue, cancellationToken)).Select(s => s.ToRecord()).ToList();

    public Task<bool> DeleteScanIfUnchangedAsync(ImageScan scan, CancellationToken cancellationToken = default) =>
        _scans.DeleteIfUnchangedAsync(scan.Digest, StorageLayout.ScanRow, scan, cancellationToken);

    // ---- overrides (DTR's layer overrides) --------------------------------------------------------------

    public async Task<IReadOnlyList<ScanOverride>> ListOverridesAsync(CancellationToken cancellationToken = default) =>
        (await _overrides.QueryAsync<ScanOverrideEntity>(cancellationToken: cancellationToken).TakeAsync(10_000, cancellationToken)).Select(o => o.ToRecord()).ToList();

    /// <summary>The overrides of the given layers.</summary>
    public async Task<IReadOnlyList<ScanOverride>> ListOverridesAsync(IEnumerable<string> layers, CancellationToken cancellationToken = default)
    {
        var found = new List<ScanOverride>();
        foreach (var layer in layers.Distinct())
        {
            found.AddRange((await _overrides.QueryAsync<ScanOverrideEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {layer}"), cancellationToken: cancellationToken)
                .TakeAsync(1000, cancellationToken)).Select(o => o.ToRecord()));
        }

        return found;
    }

    /// <summary>Adds an override of <paramref name="layer"/> under a new id.</summary>
    public async Task<ScanOverride> AddOverrideAsync(Digest layer, ScanOverride value, CancellationToken cancellationToken = default)
    {
        value.Layer = layer.ToString();
        value.Id = Guid.NewGuid().ToString("N");
        await _overrides.AddEntityAsync(ScanOverrideEntity.From(value), cancellationToken);
        return value;
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

    public IAsyncEnumerable<StoredBlob> ListRecordsAsync(CancellationToken cancellationToken = default) =>
        clients.Container.ListAsync(StorageLayout.ScansPrefix, path => StorageLayout.ScanDigestOf(path)?.ToString(), cancellationToken);

    public Task<bool> DeleteRecordIfUnchangedAsync(StoredBlob record, CancellationToken cancellationToken = default) =>
        clients.Container.DeleteIfUnchangedAsync(record, cancellationToken);

    // ---- the queue ----------------------------------------------------------------------------------------

    /// <summary>Puts a job on the scan queue (made when missing).</summary>
    public Task EnqueueAsync(ScanJob job, CancellationToken cancellationToken = default) =>
        clients.EnqueueAsync(options.Value.Queue, job, cancellationToken);
}
