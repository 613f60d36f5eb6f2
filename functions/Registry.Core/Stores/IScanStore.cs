using Registry.Oci;
using Registry.Records;
using Registry.Scanning;

namespace Registry.Stores;

/// <summary>What scanning keeps: the scans of images, the overrides, the scan records (JSON documents by digest) and the scan queue.</summary>
public interface IScanStore
{
    Task<ImageScan?> GetScanOrNullAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Writes a scan whole (<paramref name="merge"/>: only the fields it sets, the others stay).</summary>
    Task SaveScanAsync(ImageScan scan, bool merge, CancellationToken cancellationToken = default);

    /// <summary>Sets an image's scan status and error (and when it started, if given); the other fields stay.</summary>
    Task SetStatusAsync(Digest digest, int status, string? error, DateTimeOffset? startedAt, CancellationToken cancellationToken = default);

    /// <summary>The scans with <paramref name="status"/>.</summary>
    IAsyncEnumerable<ImageScan> ListByStatusAsync(int status, CancellationToken cancellationToken = default);

    /// <summary>Every image's scan (digest, ETag, last write), for GC.</summary>
    Task<IReadOnlyList<ImageScan>> ListScansAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes a scan read earlier, on condition that it has not been written since.</summary>
    Task<bool> DeleteScanIfUnchangedAsync(ImageScan scan, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ScanOverride>> ListOverridesAsync(CancellationToken cancellationToken = default);

    /// <summary>The overrides of the given layers.</summary>
    Task<IReadOnlyList<ScanOverride>> ListOverridesAsync(IEnumerable<string> layers, CancellationToken cancellationToken = default);

    /// <summary>Adds an override of <paramref name="layer"/> under a new id.</summary>
    Task<ScanOverride> AddOverrideAsync(Digest layer, ScanOverride value, CancellationToken cancellationToken = default);

    /// <summary>Removes an override by id; false when there is none.</summary>
    Task<bool> DeleteOverrideAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Writes a scan record (<paramref name="kind"/>: layers, inventories or reports) of a digest.</summary>
    Task WriteRecordAsync<T>(string kind, Digest digest, T value, CancellationToken cancellationToken = default);

    /// <summary>A scan record of a digest, or null when there is none.</summary>
    Task<T?> ReadRecordOrNullAsync<T>(string kind, Digest digest, CancellationToken cancellationToken = default)
        where T : class;

    /// <summary>Every scan record (its name is the digest), from the listing alone.</summary>
    IAsyncEnumerable<StoredBlob> ListRecordsAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes a scan record listed earlier, on condition that it has not been written since.</summary>
    Task<bool> DeleteRecordIfUnchangedAsync(StoredBlob record, CancellationToken cancellationToken = default);

    /// <summary>Puts a job on the scan queue.</summary>
    Task EnqueueAsync(ScanJob job, CancellationToken cancellationToken = default);
}
