using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Registry.Oci;

namespace Registry.Signing;

/// <summary>
/// Notary Project signatures as the registry makes them (signature-specification.md, signature-envelope-cose.md): a
/// COSE_Sign1_Tagged envelope over <c>{"targetArtifact": descriptor}</c> with the protected headers alg, crit,
/// content type, <c>io.cncf.notary.signingScheme</c> (<c>notary.x509</c>) and <c>io.cncf.notary.signingTime</c>,
/// the certificate chain as x5chain (label 33) and the signing agent unprotected; stored as an OCI image manifest of
/// artifactType <c>application/vnd.cncf.notary.signature</c> with the empty config, the envelope as its one layer
/// (<c>application/cose</c>), the signed manifest as subject and the chain's thumbprints as annotation.
/// </summary>
public static class NotarySignature
{
    public const string SigningScheme = "io.cncf.notary.signingScheme";
    public const string SigningTime = "io.cncf.notary.signingTime";
    public const string AuthenticSigningTime = "io.cncf.notary.authenticSigningTime";
    public const string Expiry = "io.cncf.notary.expiry";
    public const string SigningAgentHeader = "io.cncf.notary.signingAgent";
    public const string X509Scheme = "notary.x509";
    public const string ThumbprintAnnotation = "io.cncf.notary.x509chain.thumbprint#S256";
    public const string SigningAgent = "serverless-registry/1.0";

    /// <summary>COSE's label of the certificate chain.</summary>
    public static readonly CoseHeaderLabel X5Chain = new(33);

    /// <summary>The payload: the signed manifest's descriptor as <c>targetArtifact</c>.</summary>
    public static byte[] Payload(string mediaType, Digest digest, long size) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        targetArtifact = new { mediaType, digest = digest.ToString(), size },
    });

    /// <summary>Signs the manifest <paramref name="digest"/> (of <paramref name="mediaType"/>, <paramref name="size"/> bytes).</summary>
    public static byte[] SignCose(SigningIdentity identity, string mediaType, Digest digest, long size, DateTimeOffset now)
    {
        var key = identity.Certificate.GetECDsaPrivateKey() as AsymmetricAlgorithm
            ?? identity.Certificate.GetRSAPrivateKey()
            ?? throw new CryptographicException("the signing certificate has no ECDSA or RSA private key");
        var hash = HashOf(identity.Certificate);

        var protectedHeaders = new CoseHeaderMap
        {
            [CoseHeaderLabel.CriticalHeaders] = CoseHeaderValue.FromEncodedValue(Cbor(w =>
            {
                w.WriteStartArray(1);
                w.WriteTextString(SigningScheme);
                w.WriteEndArray();
            })),
            [CoseHeaderLabel.ContentType] = CoseHeaderValue.FromString(MediaTypes.NotaryPayload),
            [new CoseHeaderLabel(SigningScheme)] = CoseHeaderValue.FromString(X509Scheme),
            [new CoseHeaderLabel(SigningTime)] = CoseHeaderValue.FromEncodedValue(Cbor(w =>
            {
                w.WriteTag(CborTag.UnixTimeSeconds);
                w.WriteInt64(now.ToUnixTimeSeconds());
            })),
        };
        var unprotectedHeaders = new CoseHeaderMap
        {
            [X5Chain] = CoseHeaderValue.FromEncodedValue(Cbor(w =>
            {
                w.WriteStartArray(identity.Chain.Count);
                foreach (var certificate in identity.Chain)
                {
                    w.WriteByteString(certificate.RawData);
                }

                w.WriteEndArray();
            })),
            [new CoseHeaderLabel(SigningAgentHeader)] = CoseHeaderValue.FromString(SigningAgent),
        };
        var signer = key is RSA rsa
            ? new CoseSigner(rsa, RSASignaturePadding.Pss, hash, protectedHeaders, unprotectedHeaders)
            : new CoseSigner(key, hash, protectedHeaders, unprotectedHeaders);
        return CoseSign1Message.SignEmbedded(Payload(mediaType, digest, size), signer);
    }

    /// <summary>The signature manifest for an envelope (<paramref name="envelopeType"/>) that signs the subject.</summary>
    public static byte[] Manifest(
        string envelopeType, Digest envelope, long envelopeSize, string subjectMediaType, Digest subject, long subjectSize, IReadOnlyList<string> thumbprints) =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = MediaTypes.ImageManifest,
            artifactType = MediaTypes.NotarySignature,
            config = new { mediaType = MediaTypes.EmptyJson, digest = Digest.ComputeSha256(MediaTypes.EmptyJsonContent).ToString(), size = MediaTypes.EmptyJsonContent.Length },
            layers = new[] { new { mediaType = envelopeType, digest = envelope.ToString(), size = envelopeSize } },
            subject = new { mediaType = subjectMediaType, digest = subject.ToString(), size = subjectSize },
            annotations = new Dictionary<string, string> { [ThumbprintAnnotation] = JsonSerializer.Serialize(thumbprints) },
        });

    /// <summary>The hash of the signature algorithm the certificate's key calls for (the specification's table).</summary>
    public static HashAlgorithmName HashOf(X509Certificate2 certificate)
    {
        var bits = certificate.GetECDsaPublicKey()?.KeySize ?? certificate.GetRSAPublicKey()?.KeySize ?? 0;
        return bits switch
        {
            256 or 2048 => HashAlgorithmName.SHA256,
            384 or 3072 => HashAlgorithmName.SHA384,
            521 or 4096 => HashAlgorithmName.SHA512,
            _ => throw new CryptographicException($"a key of {bits} bits is not one the Notary Project allows"),
        };
    }

    private static byte[] Cbor(Action<CborWriter> write)
    {
        var writer = new CborWriter();
        write(writer);
        return writer.Encode();
    }

    /// <summary>The thumbprints a signature manifest's annotation lists, leaf first (none when it has no readable list).</summary>
    internal static IReadOnlyList<string> Thumbprints(IReadOnlyDictionary<string, string>? annotations)
    {
        if (annotations is null || !annotations.TryGetValue(ThumbprintAnnotation, out var value))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<string>>(value) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
