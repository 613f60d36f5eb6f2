namespace Registry.Records;

/// <summary>
/// The scan of one image (one platform of an index). Status is DTR's code: 0 failed, 1 unscanned, 2 scanning,
/// 3 pending, 4 scanned, 5 checking, 6 completed.
/// </summary>
public sealed class ImageScan : StoredRecord
{
    /// <summary>The image manifest's digest.</summary>
    public string Digest { get; set; } = "";

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
}

/// <summary>
/// A hidden vulnerability (DTR's layer override): the CVE of a component in a layer, hidden from the reports of
/// every image with that layer.
/// </summary>
public sealed class ScanOverride
{
    public string Id { get; set; } = "";

    /// <summary>The layer's digest.</summary>
    public string Layer { get; set; } = "";

    public string Component { get; set; } = "";

    /// <summary>Empty: every version of the component in that layer.</summary>
    public string ComponentVersion { get; set; } = "";

    public string Cve { get; set; } = "";

    public string Notes { get; set; } = "";

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}
