using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>
/// The scan of one image (one platform of an index). PartitionKey the manifest digest, RowKey "scan". Status is
/// DTR's code: 0 failed, 1 unscanned, 2 scanning, 3 pending, 4 scanned, 5 checking, 6 completed.
/// </summary>
public sealed class ScanEntity : RegistryEntity
{
    public int Status { get; set; } = 1;

    public string Os { get; set; } = "";

    public string Architecture { get; set; } = "";

    public DateTimeOffset? RequestedAt { get; set; }

    /// <summary>When the job began (after its wait in the queue).</summary>
    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The vulnerability database version the report comes from.</summary>
    public string? DatabaseVersion { get; set; }

    public string? Error { get; set; }

    public ImageScan ToRecord() => Versioned(new ImageScan
    {
        Digest = PartitionKey, Status = Status, Os = Os, Architecture = Architecture, RequestedAt = RequestedAt, StartedAt = StartedAt,
        CompletedAt = CompletedAt, DatabaseVersion = DatabaseVersion, Error = Error,
    });

    public static ScanEntity From(ImageScan s) => new()
    {
        PartitionKey = s.Digest, RowKey = StorageLayout.ScanRow, ETag = VersionOf(s), Status = s.Status, Os = s.Os, Architecture = s.Architecture,
        RequestedAt = s.RequestedAt, StartedAt = s.StartedAt, CompletedAt = s.CompletedAt, DatabaseVersion = s.DatabaseVersion, Error = s.Error,
    };
}
