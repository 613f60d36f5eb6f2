using System.Formats.Cbor;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Registry.Oci;

namespace Registry.Signing;

/// <summary>The identities a trust policy trusts: CA certificates (Notary Project signatures) and public keys (cosign).</summary>
public sealed record TrustAnchors(IReadOnlyList<X509Certificate2> Certificates, IReadOnlyList<TrustedKey> Keys)
{
    public static readonly TrustAnchors None = new([], []);
}

/// <summary>A trusted public key and how it is named: <c>sha256:&lt;hex&gt;</c> of its SubjectPublicKeyInfo.</summary>
public sealed record TrustedKey(string Id, AsymmetricAlgorithm Key)
{
    /// <summary>Reads a PEM public key (ECDSA or RSA); null when it is not one.</summary>
    public static TrustedKey? FromPem(string pem)
    {
        AsymmetricAlgorithm key = ECDsa.Create();
        try
        {
            ((ECDsa)key).ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            key = RSA.Create();
            try
            {
                ((RSA)key).ImportFromPem(pem);
            }
            catch (Exception inner) when (inner is ArgumentException or CryptographicException)
            {
                key.Dispose();
                return null;
            }
        }

        return new TrustedKey("sha256:" + Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())), key);
    }
}

/// <summary>What one signature of a manifest proves: who signed, when, and whether it holds under the trust anchors (or why not).</summary>
public sealed record SignatureCheck(string Digest, string Envelope, string? Identity, DateTimeOffset? SignedAt, bool Valid, string? Reason)
{
    public const string NotationCose = "notation-cose";
    public const string NotationJws = "notation-jws";
    public const string Cosign = "cosign";
}

/// <summary>
/// Verifies signatures as their specifications say, sharing nothing with the signer: Notary Project envelopes (COSE
/// and JWS) by the certificate requirements, the chain to a trusted CA, the signing time within the certificate's
/// validity, the expiry, the critical headers and the payload's target; cosign's simple-signing payloads by a trusted
/// public key and the payload's manifest digest.
/// </summary>
public static class SignatureVerifier
{
    /// <summary>Why the signature fails, or null with the signer and signing time when it holds.</summary>
    public sealed record Outcome(string? Identity, DateTimeOffset? SignedAt, string? Failure);

    private static readonly HashSet<string> KnownCritical = [NotarySignature.SigningScheme, NotarySignature.Expiry];

    /// <summary>A Notary Project envelope (<paramref name="envelopeType"/> <c>application/cose</c> or <c>application/jose+json</c>) for <paramref name="subject"/>.</summary>
    public static Outcome VerifyNotation(byte[] envelope, string envelopeType, Digest subject, TrustAnchors anchors, DateTimeOffset now)
    {
        try
        {
            return envelopeType switch
            {
                MediaTypes.CoseEnvelope => VerifyCose(envelope, subject, anchors, now),
                MediaTypes.JwsEnvelope => VerifyJws(envelope, subject, anchors, now),
                _ => new Outcome(null, null, $"envelope type {envelopeType} is not a Notary Project envelope"),
            };
        }
        catch (Exception e) when (e is CryptographicException or CborContentException or InvalidOperationException or JsonException
                                      or FormatException or KeyNotFoundException or ArgumentException)
        {
            return new Outcome(null, null, "the envelope cannot be read");
        }
    }

    private static Outcome VerifyCose(byte[] envelope, Digest subject, TrustAnchors anchors, DateTimeOffset now)
    {
        if (envelope.Length == 0 || envelope[0] != 0xD2)
        {
            return new Outcome(null, null, "the envelope is not a COSE_Sign1_Tagged message");
        }

        var message = CoseMessage.DecodeSign1(envelope);
        var headers = message.ProtectedHeaders;
        var critical = ReadCritical(headers);
        var scheme = headers.TryGetValue(new CoseHeaderLabel(NotarySignature.SigningScheme), out var s) ? s.GetValueAsString() : null;
        var contentType = headers.TryGetValue(CoseHeaderLabel.ContentType, out var c) ? c.GetValueAsString() : null;
        var signingTime = headers.TryGetValue(new CoseHeaderLabel(NotarySignature.SigningTime), out var t) ? ReadTime(t) : (DateTimeOffset?)null;
        var expiry = headers.TryGetValue(new CoseHeaderLabel(NotarySignature.Expiry), out var x) ? ReadTime(x) : (DateTimeOffset?)null;
        var algorithm = headers.TryGetValue(CoseHeaderLabel.Algorithm, out var a) ? a.GetValueAsInt32() : 0;
        var chain = ReadChain(message.UnprotectedHeaders.TryGetValue(NotarySignature.X5Chain, out var u) ? u
            : headers.TryGetValue(NotarySignature.X5Chain, out var p) ? p : default);

        var failure = CheckClaims(critical, scheme, contentType, signingTime, expiry, now, name => headers.ContainsKey(new CoseHeaderLabel(name)))
            ?? CheckChain(chain, signingTime!.Value, anchors, now);
        if (failure is not null)
        {
            return new Outcome(chain.FirstOrDefault()?.Subject, signingTime, failure);
        }

        var leaf = chain[0];
        if (CoseAlgorithm(leaf) != algorithm)
        {
            return new Outcome(leaf.Subject, signingTime, "alg does not match the signing certificate's key");
        }

        var key = (AsymmetricAlgorithm?)leaf.GetECDsaPublicKey() ?? leaf.GetRSAPublicKey()!;
        if (!message.VerifyEmbedded(key))
        {
            return new Outcome(leaf.Subject, signingTime, "the signature does not verify");
        }

        return new Outcome(leaf.Subject, signingTime, CheckPayload(message.Content!.Value.ToArray(), subject));
    }

    private static Outcome VerifyJws(byte[] envelope, Digest subject, TrustAnchors anchors, DateTimeOffset now)
    {
        using var document = JsonDocument.Parse(envelope);
        var root = document.RootElement;
        var protectedText = root.GetProperty("protected").GetString()!;
        var payloadText = root.GetProperty("payload").GetString()!;
        var signature = Base64Url(root.GetProperty("signature").GetString()!);
        using var protectedDocument = JsonDocument.Parse(Base64Url(protectedText));
        var headers = protectedDocument.RootElement;
        string? Text(string name) => headers.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        DateTimeOffset? Time(string name) => Text(name) is { } value
            ? DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;

        var critical = headers.TryGetProperty("crit", out var crit) && crit.ValueKind == JsonValueKind.Array
            ? crit.EnumerateArray().Select(e => e.GetString() ?? "").ToList() : null;
        var signingTime = Time(NotarySignature.SigningTime);
        var chain = root.TryGetProperty("header", out var unprotected) && unprotected.TryGetProperty("x5c", out var x5c)
            ? x5c.EnumerateArray().Select(e => X509CertificateLoader.LoadCertificate(Convert.FromBase64String(e.GetString()!))).ToList()
            : [];
        var failure = CheckClaims(critical, Text(NotarySignature.SigningScheme), Text("cty"), signingTime, Time(NotarySignature.Expiry), now,
                name => headers.TryGetProperty(name, out _))
            ?? CheckChain(chain, signingTime!.Value, anchors, now);
        if (failure is not null)
        {
            return new Outcome(chain.FirstOrDefault()?.Subject, signingTime, failure);
        }

        var leaf = chain[0];
        var data = Encoding.ASCII.GetBytes(protectedText + "." + payloadText);
        var verified = (Text("alg"), leaf.GetECDsaPublicKey(), leaf.GetRSAPublicKey()) switch
        {
            ("ES256", { KeySize: 256 } ec, _) => ec.VerifyData(data, signature, HashAlgorithmName.SHA256),
            ("ES384", { KeySize: 384 } ec, _) => ec.VerifyData(data, signature, HashAlgorithmName.SHA384),
            ("ES512", { KeySize: 521 } ec, _) => ec.VerifyData(data, signature, HashAlgorithmName.SHA512),
            ("PS256", _, { KeySize: 2048 } rsa) => rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
            ("PS384", _, { KeySize: 3072 } rsa) => rsa.VerifyData(data, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pss),
            ("PS512", _, { KeySize: 4096 } rsa) => rsa.VerifyData(data, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pss),
            _ => (bool?)null,
        };
        return verified switch
        {
            null => new Outcome(leaf.Subject, signingTime, "alg does not match the signing certificate's key"),
            false => new Outcome(leaf.Subject, signingTime, "the signature does not verify"),
            true => new Outcome(leaf.Subject, signingTime, CheckPayload(Base64Url(payloadText), subject)),
        };
    }

    /// <summary>
    /// A cosign signature: <paramref name="signature"/> (base64, the layer's <c>dev.cosignproject.cosign/signature</c>
    /// annotation) over the simple-signing <paramref name="payload"/>, by one of the trusted keys.
    /// </summary>
    public static Outcome VerifyCosign(byte[] payload, string? signature, Digest subject, TrustAnchors anchors)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var critical = document.RootElement.GetProperty("critical");
            if (critical.GetProperty("type").GetString() != "cosign container image signature")
            {
                return new Outcome(null, null, "the payload is not a cosign container image signature");
            }

            if (critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString() != subject.ToString())
            {
                return new Outcome(null, null, "the payload signs another manifest");
            }

            var bytes = Convert.FromBase64String(signature ?? "");
            foreach (var key in anchors.Keys)
            {
                var verified = key.Key switch
                {
                    ECDsa ec => ec.VerifyData(payload, bytes, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
                    RSA rsa => rsa.VerifyData(payload, bytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                    _ => false,
                };
                if (verified)
                {
                    return new Outcome("key " + key.Id, null, null);
                }
            }

            return new Outcome(null, null, "no trusted key verifies the signature");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or CryptographicException)
        {
            return new Outcome(null, null, "the payload or signature cannot be read");
        }
    }

    /// <summary>The signed attributes every Notary Project envelope must carry, as signature-specification.md lists them.</summary>
    private static string? CheckClaims(
        IReadOnlyList<string>? critical, string? scheme, string? contentType, DateTimeOffset? signingTime, DateTimeOffset? expiry,
        DateTimeOffset now, Func<string, bool> present)
    {
        if (critical is null || !critical.Contains(NotarySignature.SigningScheme))
        {
            return "crit does not name io.cncf.notary.signingScheme";
        }

        if (critical.FirstOrDefault(name => !KnownCritical.Contains(name)) is { } unknown)
        {
            return $"unknown critical header {unknown}";
        }

        if (critical.FirstOrDefault(name => !present(name)) is { } missing)
        {
            return $"critical header {missing} is missing";
        }

        if (scheme != NotarySignature.X509Scheme)
        {
            return $"signing scheme {scheme ?? "(none)"} is not supported (notary.x509 is)";
        }

        if (contentType != MediaTypes.NotaryPayload)
        {
            return $"content type {contentType ?? "(none)"} is not {MediaTypes.NotaryPayload}";
        }

        if (signingTime is null)
        {
            return "io.cncf.notary.signingTime is missing";
        }

        return expiry is { } end && now >= end ? $"the signature expired at {end:O}" : null;
    }

    /// <summary>
    /// The certificate requirements (leaf: keyUsage digitalSignature critical and nothing else forbidden, not a CA, no
    /// TLS or e-mail usage, key size; CAs: basicConstraints CA critical, keyCertSign critical), each certificate valid
    /// at the signing time and now, and the chain in order up to a trusted CA.
    /// </summary>
    private static string? CheckChain(IReadOnlyList<X509Certificate2> chain, DateTimeOffset signingTime, TrustAnchors anchors, DateTimeOffset now)
    {
        if (chain.Count == 0)
        {
            return "the envelope has no certificate chain";
        }

        var leaf = chain[0];
        var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        const X509KeyUsageFlags forbidden = X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment | X509KeyUsageFlags.KeyAgreement
            | X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.EncipherOnly | X509KeyUsageFlags.DecipherOnly | X509KeyUsageFlags.CrlSign;
        if (usage is not { Critical: true } || !usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature) || (usage.KeyUsages & forbidden) != 0)
        {
            return "the signing certificate's keyUsage must be critical and digitalSignature only";
        }

        if (chain.Count > 1 && leaf.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true })
        {
            return "the signing certificate is a CA";
        }

        string[] forbiddenUsages = ["2.5.29.37.0", "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.8"];
        if (leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } eku
            && eku.EnhancedKeyUsages.Cast<Oid>().Any(o => forbiddenUsages.Contains(o.Value)))
        {
            return "the signing certificate's extendedKeyUsage allows TLS, e-mail, time stamping or anything";
        }

        if ((leaf.GetECDsaPublicKey()?.KeySize ?? 0) < 256 && (leaf.GetRSAPublicKey()?.KeySize ?? 0) < 2048)
        {
            return "the signing certificate's key is too short";
        }

        foreach (var ca in chain.Skip(1))
        {
            if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { Critical: true, CertificateAuthority: true }
                || ca.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is not { Critical: true } caUsage
                || !caUsage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
            {
                return $"{ca.Subject} is not a CA as the certificate requirements define one";
            }
        }

        if (chain.FirstOrDefault(c => signingTime < c.NotBefore.ToUniversalTime() || signingTime > c.NotAfter.ToUniversalTime()) is { } outside)
        {
            return $"{outside.Subject} was not valid at the signing time {signingTime:O}";
        }

        // The chain ends at a certificate of the trust store: its root, or a CA below it that the policy names.
        var anchored = chain.Select((c, i) => (c, i)).FirstOrDefault(x => anchors.Certificates.Any(a => a.RawData.AsSpan().SequenceEqual(x.c.RawData)));
        if (anchored.c is null)
        {
            return $"the chain ends at {chain[^1].Subject}, which the trust policy does not trust";
        }

        using var x509 = new X509Chain();
        x509.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        x509.ChainPolicy.CustomTrustStore.Add(anchored.c);
        x509.ChainPolicy.ExtraStore.AddRange(chain.Skip(1).Take(anchored.i).ToArray());
        x509.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        x509.ChainPolicy.VerificationTime = now.UtcDateTime;
        if (!x509.Build(leaf))
        {
            var status = x509.ChainStatus.Select(s => s.StatusInformation.Trim()).FirstOrDefault(s => s.Length > 0) ?? "invalid";
            return $"the certificate chain does not verify: {status}";
        }

        var built = x509.ChainElements.Select(e => e.Certificate.Thumbprint).ToList();
        return built.SequenceEqual(chain.Take(anchored.i + 1).Select(c => c.Thumbprint))
            ? null
            : "the certificate chain is not in order or holds unrelated certificates";
    }

    private static string? CheckPayload(byte[] payload, Digest subject)
    {
        using var document = JsonDocument.Parse(payload);
        var target = document.RootElement.GetProperty("targetArtifact");
        return target.GetProperty("digest").GetString() == subject.ToString() ? null : "the payload signs another manifest";
    }

    private static IReadOnlyList<string>? ReadCritical(CoseHeaderMap headers)
    {
        if (!headers.TryGetValue(CoseHeaderLabel.CriticalHeaders, out var value))
        {
            return null;
        }

        var reader = new CborReader(value.EncodedValue);
        var names = new List<string>();
        var count = reader.ReadStartArray();
        for (var i = 0; count is null ? reader.PeekState() != CborReaderState.EndArray : i < count; i++)
        {
            names.Add(reader.PeekState() == CborReaderState.TextString ? reader.ReadTextString() : $"label {reader.ReadInt32()}");
        }

        return names;
    }

    private static DateTimeOffset ReadTime(CoseHeaderValue value)
    {
        var reader = new CborReader(value.EncodedValue);
        if (reader.PeekState() == CborReaderState.Tag && reader.ReadTag() != CborTag.UnixTimeSeconds)
        {
            throw new CborContentException("a time must be an epoch-based date/time");
        }

        return reader.PeekState() is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger
            ? DateTimeOffset.FromUnixTimeSeconds(reader.ReadInt64())
            : DateTimeOffset.FromUnixTimeMilliseconds((long)(reader.ReadDouble() * 1000));
    }

    private static List<X509Certificate2> ReadChain(CoseHeaderValue value)
    {
        if (value.EncodedValue.IsEmpty)
        {
            return [];
        }

        var reader = new CborReader(value.EncodedValue);
        if (reader.PeekState() == CborReaderState.ByteString)
        {
            return [X509CertificateLoader.LoadCertificate(reader.ReadByteString())];
        }

        var chain = new List<X509Certificate2>();
        var count = reader.ReadStartArray() ?? throw new CborContentException("x5chain must be a definite array");
        for (var i = 0; i < count; i++)
        {
            chain.Add(X509CertificateLoader.LoadCertificate(reader.ReadByteString()));
        }

        return chain;
    }

    /// <summary>COSE's alg for the certificate's key (signature-envelope-cose.md's table).</summary>
    private static int CoseAlgorithm(X509Certificate2 certificate) =>
        (certificate.GetECDsaPublicKey()?.KeySize, certificate.GetRSAPublicKey()?.KeySize) switch
        {
            (256, _) => -7,
            (384, _) => -35,
            (521, _) => -36,
            (_, 2048) => -37,
            (_, 3072) => -38,
            (_, 4096) => -39,
            _ => 0,
        };

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }
}
