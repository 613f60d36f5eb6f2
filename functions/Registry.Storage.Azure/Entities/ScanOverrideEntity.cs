using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>
/// A hidden vulnerability (DTR's layer override): the CVE of a component in a layer, hidden from the reports of
/// every image with that layer. PartitionKey the layer digest, RowKey the override id.
/// </summary>
public sealed class ScanOverrideEntity : RegistryEntity
{
    public string Component { get; set; } = "";

    /// <summary>Empty: every version of the component in that layer.</summary>
    public string ComponentVersion { get; set; } = "";

    public string Cve { get; set; } = "";

    public string Notes { get; set; } = "";

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public ScanOverride ToRecord() => new()
    {
        Id = RowKey, Layer = PartitionKey, Component = Component, ComponentVersion = ComponentVersion, Cve = Cve, Notes = Notes,
        CreatedBy = CreatedBy, CreatedAt = CreatedAt,
    };

    public static ScanOverrideEntity From(ScanOverride o) => new()
    {
        PartitionKey = o.Layer, RowKey = o.Id, Component = o.Component, ComponentVersion = o.ComponentVersion, Cve = o.Cve, Notes = o.Notes,
        CreatedBy = o.CreatedBy, CreatedAt = o.CreatedAt,
    };
}
