using System.Text.Json;
using Registry.Errors;
using Registry.Oci;
using Registry.Records;
using Registry.Stores;

namespace Registry.Signing;

/// <summary>
/// The signatures of a manifest, found as the clients store them, and what each proves under given trust anchors:
/// Notary Project signatures (referrers of artifactType <c>application/vnd.cncf.notary.signature</c>, COSE or JWS)
/// and cosign signatures (the <c>sha256-&lt;hex&gt;.sig</c> tag, or a referrer whose layers are simple-signing payloads).
/// </summary>
public sealed class SignatureService(IMetadataStore metadata, IContentStore content, TimeProvider time)
{
    /// <summary>Largest envelope or payload read; a signature is a few KiB.</summary>
    public const long MaxEnvelopeBytes = 1024 * 1024;

    /// <summary>
    /// Most envelopes checked for one manifest: whoever may push can add signatures, and a refused pull is checked
    /// again each time, so the work one pull can be made to do is bounded.
    /// </summary>
    public const int MaxChecks = 32;

    /// <summary>The artifact type cosign gives its signatures when it stores them as referrers.</summary>
    public const string CosignArtifactType = "application/vnd.dev.cosign.artifact.sig.v1+json";

    private const string CosignSignatureAnnotation = "dev.cosignproject.cosign/signature";

    /// <summary>The cosign tag of a manifest's signatures.</summary>
    public static string CosignTag(Digest digest) => $"{digest.Algorithm}-{digest.Hex}.sig";

    /// <summary>
    /// The signatures of <paramref name="subject"/> in the repository (cosign's tag first, then the referrers; at most
    /// <see cref="MaxChecks"/> envelopes), each checked under <paramref name="anchors"/>.
    /// </summary>
    public async Task<IReadOnlyList<SignatureCheck>> CheckAsync(RepositoryName name, Digest subject, TrustAnchors anchors, CancellationToken cancellationToken = default)
    {
        var checks = new List<SignatureCheck>();
        var now = time.GetUtcNow();
        if (Tag.TryParse(CosignTag(subject), out var tag) && await metadata.GetTagOrNullAsync(name, tag, cancellationToken) is { } cosign
            && await ReadManifestOrNullAsync(name, cosign, cancellationToken) is { } tagged)
        {
            checks.AddRange(await CheckManifestAsync(tagged, subject, anchors, now, cancellationToken));
        }

        foreach (var referrer in await metadata.ListReferrersAsync(name, subject, cancellationToken))
        {
            if (checks.Count >= MaxChecks)
            {
                break;
            }

            if (referrer.ArtifactType is MediaTypes.NotarySignature or CosignArtifactType && Digest.TryParse(referrer.Digest, out var digest)
                && await ReadManifestOrNullAsync(name, digest, cancellationToken) is { } manifest)
            {
                checks.AddRange(await CheckManifestAsync(manifest, subject, anchors, now, cancellationToken));
            }
        }

        return checks;
    }

    /// <summary>Whether a valid signature by a trusted identity covers <paramref name="subject"/>.</summary>
    public async Task<bool> IsSignedAsync(RepositoryName name, Digest subject, TrustAnchors anchors, CancellationToken cancellationToken = default) =>
        (await CheckAsync(name, subject, anchors, cancellationToken)).Any(c => c.Valid);

    private async Task<IReadOnlyList<SignatureCheck>> CheckManifestAsync(
        ParsedManifest manifest, Digest subject, TrustAnchors anchors, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var checks = new List<SignatureCheck>();
        var digest = manifest.Digest.ToString();
        foreach (var layer in manifest.Blobs.Skip(1).Take(MaxChecks))
        {
            var envelope = layer.MediaType switch
            {
                MediaTypes.CoseEnvelope when manifest.ArtifactType == MediaTypes.NotarySignature => SignatureCheck.NotationCose,
                MediaTypes.JwsEnvelope when manifest.ArtifactType == MediaTypes.NotarySignature => SignatureCheck.NotationJws,
                MediaTypes.CosignSimpleSigning => SignatureCheck.Cosign,
                _ => null,
            };
            if (envelope is null)
            {
                continue;
            }

            if (layer.Size > MaxEnvelopeBytes || !Digest.TryParse(layer.Digest, out var layerDigest)
                || await content.ReadAllOrNullAsync(layerDigest, cancellationToken) is not { } bytes || layerDigest.Compute(bytes) != layerDigest)
            {
                checks.Add(new SignatureCheck(digest, envelope, null, null, false, "the envelope cannot be read"));
                continue;
            }

            var outcome = envelope == SignatureCheck.Cosign
                ? SignatureVerifier.VerifyCosign(bytes, layer.Annotations?.GetValueOrDefault(CosignSignatureAnnotation), subject, anchors)
                : SignatureVerifier.VerifyNotation(bytes, layer.MediaType, subject, anchors, now);
            checks.Add(new SignatureCheck(digest, envelope, outcome.Identity, outcome.SignedAt, outcome.Failure is null, outcome.Failure));
        }

        return checks;
    }

    private async Task<ParsedManifest?> ReadManifestOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken)
    {
        if (await metadata.GetManifestOrNullAsync(name, digest, cancellationToken) is not { } row)
        {
            return null;
        }

        try
        {
            var bytes = row.Content ?? await content.ReadAllAsync(digest, cancellationToken);
            return ManifestParser.Parse(bytes, row.MediaType) with { Digest = digest };
        }
        catch (Exception e) when (e is RegistryException or JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether a manifest describes an image rather than being one: an image manifest without an image layer
    /// (Notary Project and cosign signatures, SBOMs, attestations). Trust policies let these through, since clients must
    /// read them to verify. A subject or an artifactType alone does not make one: an image that names a subject still
    /// runs, so it needs a signature like any other.
    /// </summary>
    public static bool IsAttachment(ParsedManifest manifest) =>
        !MediaTypes.IsIndex(manifest.MediaType) && !manifest.Blobs.Skip(1).Any(b => IsImageLayer(b.MediaType));

    private static bool IsImageLayer(string mediaType) =>
        mediaType.StartsWith("application/vnd.oci.image.layer.", StringComparison.Ordinal)
        || mediaType.StartsWith("application/vnd.docker.image.rootfs.", StringComparison.Ordinal);

    /// <summary>The referrer row of a signature made by the identity with these thumbprints, if any (idempotent signing).</summary>
    public static bool IsSignatureBy(Referrer referrer, string leafThumbprint)
    {
        if (referrer.ArtifactType != MediaTypes.NotarySignature || referrer.Annotations is null)
        {
            return false;
        }

        try
        {
            var annotations = JsonSerializer.Deserialize<Dictionary<string, string>>(referrer.Annotations);
            var thumbprints = NotarySignature.Thumbprints(annotations);
            return thumbprints.Count > 0 && string.Equals(thumbprints[0], leafThumbprint, StringComparison.OrdinalIgnoreCase);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
