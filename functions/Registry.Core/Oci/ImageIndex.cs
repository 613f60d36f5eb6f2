using System.Text.Json.Serialization;

namespace Registry.Oci;

/// <summary>An image index (image-spec image-index.md); also the shape of a Docker manifest list.</summary>
public sealed record ImageIndex
{
    [JsonPropertyName("schemaVersion")]
    public required int SchemaVersion { get; init; }

    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; }

    [JsonPropertyName("artifactType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("manifests")]
    public required IReadOnlyList<Descriptor> Manifests { get; init; }

    [JsonPropertyName("subject")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
