namespace Registry.Oci;

/// <summary>What the registry needs to know of a pushed manifest, read once from its exact bytes.</summary>
public sealed record ParsedManifest(
    string MediaType,
    Digest Digest,
    long Size,
    IReadOnlyList<Descriptor> Blobs,
    IReadOnlyList<Descriptor> Manifests,
    Descriptor? Subject,
    string? ArtifactType,
    IReadOnlyDictionary<string, string>? Annotations);
