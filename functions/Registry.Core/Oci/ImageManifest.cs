using System.Text.Json.Serialization;

namespace Registry.Oci;

/// <summary>An image manifest (image-spec manifest.md); also the shape of a Docker v2 schema 2 manifest.</summary>
public sealed record ImageManifest
{
    [JsonPropertyName("schemaVersion")]
    public required int SchemaVersion { get; init; }

    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; }

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("config")]
    public required Descriptor Config { get; init; }

    [JsonPropertyName("layers")]
    public required IReadOnlyList<Descriptor> Layers { get; init; }

    [JsonPropertyName("subject")]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
