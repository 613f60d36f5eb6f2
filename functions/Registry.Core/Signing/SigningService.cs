using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Registry.Errors;
using Registry.Oci;
using Registry.Services;
using Registry.Stores;

namespace Registry.Signing;

/// <summary>A signing job: one manifest of a repository, and whether the platform manifests of an index are signed too.</summary>
public sealed record SignJob(
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("platforms")] bool Platforms,
    [property: JsonPropertyName("requestedAt")] DateTimeOffset? RequestedAt = null);

/// <summary>
/// Server-side signing, the running half (<see cref="SigningPolicyService"/> decides what to sign): a job from the
/// signing queue signs a manifest with the registry's certificate as a Notary Project signature and pushes it into the
/// repository as a referrer of the manifest. A manifest that already has a signature by the same certificate gets no
/// second one. Storage errors go up, so the queue retries the job and moves it to the poison queue after 5 tries.
/// </summary>
public sealed partial class SigningService(
    SigningCredentials credentials, ManifestService manifests, IMetadataStore metadata, Events.EventService events, TimeProvider time,
    ILogger<SigningService> logger)
{
    /// <summary>Runs one job; returns how many signatures it added.</summary>
    public async Task<int> RunAsync(SignJob job, CancellationToken cancellationToken = default)
    {
        if (!RepositoryName.TryParse(job.Repository, out var name) || !Digest.TryParse(job.Digest, out var digest))
        {
            LogBadJob(logger, job.Repository, job.Digest);
            return 0;
        }

        var identity = await credentials.GetAsync(cancellationToken);
        ManifestService.StoredManifest image;
        try
        {
            image = await manifests.GetAsync(name, new ManifestReference(null, digest), cancellationToken);
        }
        catch (RegistryException e) when (e.Code == OciErrorCode.ManifestUnknown)
        {
            LogGone(logger, name.Value, digest.ToString());
            return 0;
        }

        var signed = await SignAsync(name, image, identity, cancellationToken);
        if (job.Platforms && MediaTypes.IsIndex(image.MediaType))
        {
            foreach (var child in ManifestParser.Parse(image.Content, image.MediaType).Manifests)
            {
                if (Digest.TryParse(child.Digest, out var childDigest))
                {
                    signed += await SignAsync(name, await manifests.GetAsync(name, new ManifestReference(null, childDigest), cancellationToken), identity, cancellationToken);
                }
            }
        }

        return signed;
    }

    private async Task<int> SignAsync(RepositoryName name, ManifestService.StoredManifest image, SigningIdentity identity, CancellationToken cancellationToken)
    {
        var thumbprints = identity.Thumbprints;
        if ((await metadata.ListReferrersAsync(name, image.Digest, cancellationToken)).Any(r => SignatureService.IsSignatureBy(r, thumbprints[0])))
        {
            return 0;
        }

        var envelope = NotarySignature.SignCose(identity, image.MediaType, image.Digest, image.Content.Length, time.GetUtcNow());
        var manifest = NotarySignature.Manifest(MediaTypes.CoseEnvelope, Digest.ComputeSha256(envelope), envelope.Length,
            image.MediaType, image.Digest, image.Content.Length, thumbprints);
        var signature = await manifests.PutArtifactAsync(name, [MediaTypes.EmptyJsonContent, envelope], manifest, cancellationToken);
        LogSigned(logger, name.Value, image.Digest.ToString());
        if (await events.WantsAsync(Events.EventTypes.ImageSigned, name.Value, cancellationToken))
        {
            var signed = await events.ImageEventAsync(Events.EventTypes.ImageSigned, name, null, image.Digest,
                ManifestParser.Parse(image.Content, image.MediaType) with { Digest = image.Digest }, null, "signedAt", signature.Manifest.Digest.ToString(), cancellationToken);
            signed.Contents["signatureDigest"] = signature.Manifest.Digest.ToString();
            signed.Contents["signer"] = identity.Certificate.Subject;
            signed.Contents["signatureFormat"] = "notation-cose";
            await events.RaiseAsync(signed, cancellationToken);
        }
        return 1;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing job for {Repository}@{Digest} is not valid; dropped")]
    private static partial void LogBadJob(ILogger logger, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Repository}@{Digest} is gone; nothing to sign")]
    private static partial void LogGone(ILogger logger, string repository, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed {Repository}@{Digest}")]
    private static partial void LogSigned(ILogger logger, string repository, string digest);
}
