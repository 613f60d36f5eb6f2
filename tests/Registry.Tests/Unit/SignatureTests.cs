using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Registry.Oci;
using Registry.Signing;

namespace Registry.Tests.Unit;

/// <summary>
/// Notary Project signatures as the registry makes them, read field by field against signature-envelope-cose.md and
/// checked with .NET's own COSE and X.509 APIs driven here directly; and the verifier on what it must accept or refuse:
/// tampered payload, wrong subject, expired certificate, no trust, a chain to another CA, an unknown critical header,
/// a JWS envelope made here, and cosign simple-signing payloads signed here with an ECDSA P-256 key.
/// </summary>
public sealed class SignatureTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly Digest Subject = Digest.ComputeSha256("an image manifest"u8);
    private static readonly SigningIdentity Registry = SigningIdentity.CreateAuthority("Test", Now);

    [Fact]
    public void SignCose_RegistryIdentity_EnvelopeHasTheSpecificationsHeadersAndVerifies()
    {
        // Act
        var envelope = NotarySignature.SignCose(Registry, MediaTypes.ImageManifest, Subject, 1234, Now);

        // Assert: COSE_Sign1_Tagged (tag 18)
        Assert.Equal(0xD2, envelope[0]);
        var message = CoseMessage.DecodeSign1(envelope);
        var headers = message.ProtectedHeaders;
        Assert.Equal(-7, headers[CoseHeaderLabel.Algorithm].GetValueAsInt32());   // ES256 for a P-256 key
        var crit = new CborReader(headers[CoseHeaderLabel.CriticalHeaders].EncodedValue);
        Assert.Equal(1, crit.ReadStartArray());
        Assert.Equal("io.cncf.notary.signingScheme", crit.ReadTextString());
        Assert.Equal("application/vnd.cncf.notary.payload.v1+json", headers[CoseHeaderLabel.ContentType].GetValueAsString());
        Assert.Equal("notary.x509", headers[new CoseHeaderLabel("io.cncf.notary.signingScheme")].GetValueAsString());
        var time = new CborReader(headers[new CoseHeaderLabel("io.cncf.notary.signingTime")].EncodedValue);
        Assert.Equal(CborTag.UnixTimeSeconds, time.ReadTag());
        Assert.Equal(Now.ToUnixTimeSeconds(), time.ReadInt64());
        Assert.Equal(5, headers.Count);

        var chain = new CborReader(message.UnprotectedHeaders[new CoseHeaderLabel(33)].EncodedValue);
        Assert.Equal(2, chain.ReadStartArray());
        var leaf = X509CertificateLoader.LoadCertificate(chain.ReadByteString());
        var ca = X509CertificateLoader.LoadCertificate(chain.ReadByteString());
        Assert.Equal(Registry.Certificate.RawData, leaf.RawData);
        Assert.Equal(Registry.Anchor.RawData, ca.RawData);
        Assert.StartsWith("serverless-registry/", message.UnprotectedHeaders[new CoseHeaderLabel("io.cncf.notary.signingAgent")].GetValueAsString());

        using var payload = JsonDocument.Parse(message.Content!.Value);
        var target = payload.RootElement.GetProperty("targetArtifact");
        Assert.Equal((MediaTypes.ImageManifest, Subject.ToString(), 1234L),
            (target.GetProperty("mediaType").GetString(), target.GetProperty("digest").GetString(), target.GetProperty("size").GetInt64()));
        Assert.Single(payload.RootElement.EnumerateObject());

        Assert.True(message.VerifyEmbedded(leaf.GetECDsaPublicKey()!));
        using var x509 = new X509Chain();
        x509.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        x509.ChainPolicy.CustomTrustStore.Add(ca);
        x509.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(x509.Build(leaf));
    }

    [Fact]
    public void CreateAuthority_Certificates_MeetTheCertificateRequirements()
    {
        // Assert: the CA
        var ca = Registry.Anchor;
        var caConstraints = ca.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(caConstraints is { Critical: true, CertificateAuthority: true });
        var caUsage = ca.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(caUsage.Critical && caUsage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));

        // ... and the signing certificate: digitalSignature only, critical; code signing; not a CA
        var leaf = Registry.Certificate;
        var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(usage.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        Assert.Equal("1.3.6.1.5.5.7.3.3", leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.True(leaf.HasPrivateKey);
        Assert.Equal(256, leaf.GetECDsaPublicKey()!.KeySize);
    }

    [Fact]
    public void Export_ThenImport_KeepsChainAndBothPrivateKeys()
    {
        // Act
        var imported = SigningIdentity.Import(Registry.Export());

        // Assert
        Assert.Equal(Registry.Certificate.Thumbprint, imported.Certificate.Thumbprint);
        Assert.True(imported.Certificate.HasPrivateKey);
        Assert.Equal(Registry.Thumbprints, imported.Thumbprints);
        Assert.NotNull(imported.Authority);
        Assert.True(imported.Authority!.HasPrivateKey);
    }

    [Fact]
    public void Manifest_Signature_HasArtifactTypeEmptyConfigEnvelopeSubjectAndThumbprints()
    {
        // Arrange
        var envelope = NotarySignature.SignCose(Registry, MediaTypes.ImageManifest, Subject, 1234, Now);

        // Act
        using var manifest = JsonDocument.Parse(NotarySignature.Manifest(MediaTypes.CoseEnvelope, Digest.ComputeSha256(envelope), envelope.Length,
            MediaTypes.ImageManifest, Subject, 1234, Registry.Thumbprints));

        // Assert
        var root = manifest.RootElement;
        Assert.Equal(2, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(MediaTypes.ImageManifest, root.GetProperty("mediaType").GetString());
        Assert.Equal("application/vnd.cncf.notary.signature", root.GetProperty("artifactType").GetString());
        Assert.Equal((MediaTypes.EmptyJson, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", 2),
            (root.GetProperty("config").GetProperty("mediaType").GetString(), root.GetProperty("config").GetProperty("digest").GetString(),
                root.GetProperty("config").GetProperty("size").GetInt32()));
        var layer = root.GetProperty("layers").EnumerateArray().Single();
        Assert.Equal(("application/cose", Digest.ComputeSha256(envelope).ToString()), (layer.GetProperty("mediaType").GetString(), layer.GetProperty("digest").GetString()));
        Assert.Equal(Subject.ToString(), root.GetProperty("subject").GetProperty("digest").GetString());
        var thumbprints = JsonSerializer.Deserialize<string[]>(root.GetProperty("annotations").GetProperty("io.cncf.notary.x509chain.thumbprint#S256").GetString()!)!;
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Registry.Certificate.RawData)), thumbprints[0]);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Registry.Anchor.RawData)), thumbprints[1]);
    }

    [Fact]
    public void VerifyNotation_SignedByTrustedCa_IsValidWithSignerAndTime()
    {
        // Arrange
        var envelope = NotarySignature.SignCose(Registry, MediaTypes.ImageManifest, Subject, 1234, Now);

        // Act
        var outcome = SignatureVerifier.VerifyNotation(envelope, MediaTypes.CoseEnvelope, Subject, Trusting(Registry.Anchor), Now);

        // Assert
        Assert.Null(outcome.Failure);
        Assert.Equal(Registry.Certificate.Subject, outcome.Identity);
        Assert.Equal(Now.ToUnixTimeSeconds(), outcome.SignedAt!.Value.ToUnixTimeSeconds());
    }

    [Fact]
    public void VerifyNotation_TamperedPayload_FailsSignature()
    {
        // Arrange: one hex digit of the signed digest changed inside the envelope
        var envelope = NotarySignature.SignCose(Registry, MediaTypes.ImageManifest, Subject, 1234, Now);
        var at = IndexOf(envelope, Encoding.ASCII.GetBytes(Subject.Hex));
        envelope[at] = (byte)(envelope[at] == (byte)'0' ? '1' : '0');

        // Act
        var outcome = SignatureVerifier.VerifyNotation(envelope, MediaTypes.CoseEnvelope, Subject, Trusting(Registry.Anchor), Now);

        // Assert
        Assert.Equal("the signature does not verify", outcome.Failure);
    }

    [Fact]
    public void VerifyNotation_OtherSubject_Refused()
    {
        var envelope = NotarySignature.SignCose(Registry, MediaTypes.ImageManifest, Subject, 1234, Now);

        var outcome = SignatureVerifier.VerifyNotation(envelope, MediaTypes.CoseEnvelope, Digest.ComputeSha256("another"u8), Trusting(Registry.Anchor), Now);

        Assert.Equal("the payload signs another manifest", outcome.Failure);
    }

    [Fact]
    public void VerifyNotation_NoTrustOrAnotherCa_Refused()
    {
        // Arrange
        var envelope = NotarySignature.SignCose(Registry, MediaTypes.ImageManifest, Subject, 1234, Now);
        var other = SigningIdentity.CreateAuthority("Other", Now);

        // Act
        var untrusted = SignatureVerifier.VerifyNotation(envelope, MediaTypes.CoseEnvelope, Subject, TrustAnchors.None, Now);
        var otherCa = SignatureVerifier.VerifyNotation(envelope, MediaTypes.CoseEnvelope, Subject, Trusting(other.Anchor), Now);

        // Assert
        Assert.Contains("does not trust", untrusted.Failure);
        Assert.Contains("does not trust", otherCa.Failure);
    }

    [Fact]
    public void VerifyNotation_CertificateExpired_Refused()
    {
        // Arrange: a CA and certificate made two years ago (the certificate valid one year), used when it was valid
        var then = Now.AddYears(-2);
        var old = SigningIdentity.CreateAuthority("Old", then);
        var envelope = NotarySignature.SignCose(old, MediaTypes.ImageManifest, Subject, 1234, then.AddDays(1));

        // Act
        var outcome = SignatureVerifier.VerifyNotation(envelope, MediaTypes.CoseEnvelope, Subject, Trusting(old.Anchor), Now);

        // Assert: without an authentic timestamp, each certificate must be valid when verified
        Assert.StartsWith("the certificate chain does not verify", outcome.Failure);
    }

    [Fact]
    public void VerifyNotation_SigningTimeOutsideValidity_Refused()
    {
        var envelope = NotarySignature.SignCose(Registry, MediaTypes.ImageManifest, Subject, 1234, Now.AddYears(-3));

        var outcome = SignatureVerifier.VerifyNotation(envelope, MediaTypes.CoseEnvelope, Subject, Trusting(Registry.Anchor), Now);

        Assert.Contains("was not valid at the signing time", outcome.Failure);
    }

    [Fact]
    public void VerifyNotation_UnknownCriticalHeader_Refused()
    {
        // Arrange: an envelope made here with a critical header the specification does not define
        var key = Registry.Certificate.GetECDsaPrivateKey()!;
        var headers = NotaryHeaders(Now, ["io.cncf.notary.signingScheme", "com.example.unknown"]);
        headers[new CoseHeaderLabel("com.example.unknown")] = CoseHeaderValue.FromString("x");
        var envelope = CoseSign1Message.SignEmbedded(NotarySignature.Payload(MediaTypes.ImageManifest, Subject, 1234),
            new CoseSigner(key, HashAlgorithmName.SHA256, headers, ChainHeader(Registry)));

        // Act
        var outcome = SignatureVerifier.VerifyNotation(envelope, MediaTypes.CoseEnvelope, Subject, Trusting(Registry.Anchor), Now);

        // Assert
        Assert.Equal("unknown critical header com.example.unknown", outcome.Failure);
    }

    [Fact]
    public void VerifyNotation_JwsMadeHere_ValidAndTamperedRefused()
    {
        // Arrange: a JWS JSON serialization envelope as signature-envelope-jws.md describes, signed ES256 here
        var protectedHeader = B64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["alg"] = "ES256",
            ["cty"] = "application/vnd.cncf.notary.payload.v1+json",
            ["crit"] = new[] { "io.cncf.notary.signingScheme" },
            ["io.cncf.notary.signingScheme"] = "notary.x509",
            ["io.cncf.notary.signingTime"] = Now.ToString("yyyy-MM-ddTHH:mm:ssK"),
        }));
        var payload = B64Url(NotarySignature.Payload(MediaTypes.ImageManifest, Subject, 1234));
        var signature = Registry.Certificate.GetECDsaPrivateKey()!.SignData(Encoding.ASCII.GetBytes(protectedHeader + "." + payload), HashAlgorithmName.SHA256);
        byte[] Jws(string body) => JsonSerializer.SerializeToUtf8Bytes(new
        {
            payload = body,
            @protected = protectedHeader,
            header = new { x5c = Registry.Chain.Select(c => Convert.ToBase64String(c.RawData)).ToArray() },
            signature = B64Url(signature),
        });
        var tampered = B64Url(NotarySignature.Payload(MediaTypes.ImageManifest, Subject, 4321));

        // Act
        var valid = SignatureVerifier.VerifyNotation(Jws(payload), MediaTypes.JwsEnvelope, Subject, Trusting(Registry.Anchor), Now);
        var refused = SignatureVerifier.VerifyNotation(Jws(tampered), MediaTypes.JwsEnvelope, Subject, Trusting(Registry.Anchor), Now);

        // Assert
        Assert.Null(valid.Failure);
        Assert.Equal("the signature does not verify", refused.Failure);
    }

    [Fact]
    public void VerifyCosign_SimpleSigningPayloadSignedHere_ValidOnlyByTheTrustedKeyAndForItsDigest()
    {
        // Arrange: cosign's payload and its DER ECDSA P-256 signature over SHA-256
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = CosignPayload(Subject);
        var signature = Convert.ToBase64String(key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        var trusted = new TrustAnchors([], [TrustedKey.FromPem(key.ExportSubjectPublicKeyInfoPem())!]);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherTrusted = new TrustAnchors([], [TrustedKey.FromPem(otherKey.ExportSubjectPublicKeyInfoPem())!]);

        // Act
        var valid = SignatureVerifier.VerifyCosign(payload, signature, Subject, trusted);
        var wrongKey = SignatureVerifier.VerifyCosign(payload, signature, Subject, otherTrusted);
        var wrongDigest = SignatureVerifier.VerifyCosign(payload, signature, Digest.ComputeSha256("another"u8), trusted);
        var tampered = SignatureVerifier.VerifyCosign(CosignPayload(Subject, "tampered"), signature, Subject, trusted);

        // Assert
        Assert.Null(valid.Failure);
        Assert.StartsWith("key sha256:", valid.Identity);
        Assert.Equal("no trusted key verifies the signature", wrongKey.Failure);
        Assert.Equal("the payload signs another manifest", wrongDigest.Failure);
        Assert.Equal("no trusted key verifies the signature", tampered.Failure);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not cbor at all")]
    public void VerifyNotation_Garbage_RefusedWithoutThrowing(string text)
    {
        var outcome = SignatureVerifier.VerifyNotation(Encoding.ASCII.GetBytes(text), MediaTypes.CoseEnvelope, Subject, Trusting(Registry.Anchor), Now);

        Assert.NotNull(outcome.Failure);
    }

    internal static byte[] CosignPayload(Digest digest, string reference = "localhost/repo") =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            critical = new
            {
                identity = new Dictionary<string, string> { ["docker-reference"] = reference },
                image = new Dictionary<string, string> { ["docker-manifest-digest"] = digest.ToString() },
                type = "cosign container image signature",
            },
            optional = (object?)null,
        });

    private static TrustAnchors Trusting(X509Certificate2 ca) => new([ca], []);

    private static CoseHeaderMap NotaryHeaders(DateTimeOffset time, string[] critical)
    {
        var crit = new CborWriter();
        crit.WriteStartArray(critical.Length);
        foreach (var name in critical)
        {
            crit.WriteTextString(name);
        }

        crit.WriteEndArray();
        var signingTime = new CborWriter();
        signingTime.WriteTag(CborTag.UnixTimeSeconds);
        signingTime.WriteInt64(time.ToUnixTimeSeconds());
        return new CoseHeaderMap
        {
            [CoseHeaderLabel.CriticalHeaders] = CoseHeaderValue.FromEncodedValue(crit.Encode()),
            [CoseHeaderLabel.ContentType] = CoseHeaderValue.FromString("application/vnd.cncf.notary.payload.v1+json"),
            [new CoseHeaderLabel("io.cncf.notary.signingScheme")] = CoseHeaderValue.FromString("notary.x509"),
            [new CoseHeaderLabel("io.cncf.notary.signingTime")] = CoseHeaderValue.FromEncodedValue(signingTime.Encode()),
        };
    }

    private static CoseHeaderMap ChainHeader(SigningIdentity identity)
    {
        var chain = new CborWriter();
        chain.WriteStartArray(identity.Chain.Count);
        foreach (var certificate in identity.Chain)
        {
            chain.WriteByteString(certificate.RawData);
        }

        chain.WriteEndArray();
        return new CoseHeaderMap { [new CoseHeaderLabel(33)] = CoseHeaderValue.FromEncodedValue(chain.Encode()) };
    }

    private static string B64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        throw new InvalidOperationException("not found");
    }
}
