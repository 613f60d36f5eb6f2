namespace Registry.Oci;

/// <summary>Media types the registry understands (image-spec media-types.md, Docker image manifest v2 schema 2).</summary>
public static class MediaTypes
{
    /// <summary>OCI image manifest.</summary>
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>OCI image index.</summary>
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";

    /// <summary>Docker image manifest v2 schema 2.</summary>
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>Docker manifest list (the schema 2 multi-platform list).</summary>
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>Docker schema 1 manifest: refused.</summary>
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";

    /// <summary>Signed Docker schema 1 manifest: refused.</summary>
    public const string DockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /// <summary>The empty JSON descriptor's type, used as config of artifacts.</summary>
    public const string EmptyJson = "application/vnd.oci.empty.v1+json";

    /// <summary>The content of the empty JSON descriptor (<see cref="EmptyJson"/>): <c>{}</c>.</summary>
    public static readonly byte[] EmptyJsonContent = "{}"u8.ToArray();

    /// <summary>OCI image config.</summary>
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";

    public const string OctetStream = "application/octet-stream";

    /// <summary>The artifact type of a Notary Project signature manifest.</summary>
    public const string NotarySignature = "application/vnd.cncf.notary.signature";

    /// <summary>A Notary Project signature envelope in COSE_Sign1_Tagged.</summary>
    public const string CoseEnvelope = "application/cose";

    /// <summary>A Notary Project signature envelope in JWS JSON serialization.</summary>
    public const string JwsEnvelope = "application/jose+json";

    /// <summary>The payload of a Notary Project signature: <c>{"targetArtifact": descriptor}</c>.</summary>
    public const string NotaryPayload = "application/vnd.cncf.notary.payload.v1+json";

    /// <summary>A cosign signature layer: a simple-signing payload, its signature in an annotation.</summary>
    public const string CosignSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";

    /// <summary>The manifest types a PUT may carry.</summary>
    public static readonly IReadOnlySet<string> Manifests = new HashSet<string>(StringComparer.Ordinal)
    {
        ImageManifest, ImageIndex, DockerManifest, DockerManifestList,
    };

    /// <summary>The Accept header of a pull that takes any manifest type (a cache asking its upstream).</summary>
    public const string ManifestAccept = $"{ImageIndex}, {ImageManifest}, {DockerManifestList}, {DockerManifest}";

    public static bool IsIndex(string mediaType) => mediaType is ImageIndex or DockerManifestList;

    public static bool IsSchema1(string mediaType) => mediaType is DockerSchema1 or DockerSchema1Signed;
}
