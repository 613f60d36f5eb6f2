using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Registry.Trust;

/// <summary>
/// A TUF public key as Notary writes it: <c>{"keytype", "keyval": {"public": base64, "private": null}}</c>, the public part
/// a DER SubjectPublicKeyInfo (<c>ecdsa</c>, <c>rsa</c>) or a PEM certificate (<c>ecdsa-x509</c>, <c>rsa-x509</c>). Its id is
/// the SHA-256 of that object in canonical JSON with the private part null.
/// </summary>
public sealed record TufKey(string Type, byte[] Public)
{
    public const string Ecdsa = "ecdsa";
    public const string EcdsaX509 = "ecdsa-x509";
    public const string Rsa = "rsa";
    public const string RsaX509 = "rsa-x509";

    private static readonly string[] Supported = [Ecdsa, EcdsaX509, Rsa, RsaX509];

    /// <summary>The key id: hex SHA-256 of the canonical key object.</summary>
    public string Id => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())));

    public bool IsCertificate => Type is EcdsaX509 or RsaX509;

    /// <summary>The canonical JSON of the public key, as a key endpoint answers and as its id is computed.</summary>
    public string ToJson() => $"{{\"keytype\":\"{Type}\",\"keyval\":{{\"private\":null,\"public\":\"{Convert.ToBase64String(Public)}\"}}}}";

    /// <summary>The certificate of an x509 key type.</summary>
    public X509Certificate2 Certificate() => X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Public));

    /// <summary>The DER SubjectPublicKeyInfo of the key, whatever its type.</summary>
    public byte[] SubjectPublicKeyInfo()
    {
        if (!IsCertificate)
        {
            return Public;
        }

        using var certificate = Certificate();
        return certificate.PublicKey.ExportSubjectPublicKeyInfo();
    }

    /// <summary>Reads a key object; throws <see cref="FormatException"/> for an unknown type or a public part that is not one.</summary>
    public static TufKey Parse(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("keytype", out var type) || type.ValueKind != JsonValueKind.String
            || !element.TryGetProperty("keyval", out var value) || value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("public", out var pub) || pub.ValueKind != JsonValueKind.String)
        {
            throw new FormatException("a key needs keytype and keyval.public");
        }

        if (value.TryGetProperty("private", out var priv) && priv.ValueKind != JsonValueKind.Null)
        {
            throw new FormatException("a published key must not carry its private part");
        }

        var keyType = type.GetString()!;
        if (!Supported.Contains(keyType))
        {
            throw new FormatException($"key type {keyType} is not supported here (ecdsa, ecdsa-x509, rsa, rsa-x509)");
        }

        var key = new TufKey(keyType, Convert.FromBase64String(pub.GetString()!));
        try
        {
            _ = key.SubjectPublicKeyInfo();
            using var _ec = key.Type is Ecdsa or EcdsaX509 ? key.OpenEcdsa() : null;
            using var _rsa = key.Type is Rsa or RsaX509 ? key.OpenRsa() : null;
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"the {keyType} key cannot be read: {e.Message}");
        }

        return key;
    }

    /// <summary>
    /// True when <paramref name="signature"/> by this key over <paramref name="message"/> is valid for Notary's
    /// <paramref name="method"/>: <c>ecdsa</c> (r||s over SHA-256), <c>rsapss</c> and <c>rsapkcs1v15</c> (SHA-256).
    /// </summary>
    public bool Verify(string method, byte[] signature, byte[] message)
    {
        try
        {
            switch (method)
            {
                case "ecdsa" when Type is Ecdsa or EcdsaX509:
                    using (var ecdsa = OpenEcdsa())
                    {
                        return ecdsa.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                    }

                case "rsapss" or "rsapkcs1v15" when Type is Rsa or RsaX509:
                    using (var rsa = OpenRsa())
                    {
                        var padding = method == "rsapss" ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                        return rsa.VerifyData(message, signature, HashAlgorithmName.SHA256, padding);
                    }

                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private ECDsa OpenEcdsa()
    {
        if (IsCertificate)
        {
            using var certificate = Certificate();
            return certificate.GetECDsaPublicKey() ?? throw new CryptographicException("the certificate holds no ECDSA key");
        }

        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(Public, out _);
        return key;
    }

    private RSA OpenRsa()
    {
        if (IsCertificate)
        {
            using var certificate = Certificate();
            return certificate.GetRSAPublicKey() ?? throw new CryptographicException("the certificate holds no RSA key");
        }

        var key = RSA.Create();
        key.ImportSubjectPublicKeyInfo(Public, out _);
        return key;
    }
}

/// <summary>A key pair the server holds for a GUN's timestamp or snapshot role (ECDSA P-256, as notary-signer makes them).</summary>
public sealed class ServerKey(ECDsa key) : IDisposable
{
    public TufKey Public { get; } = new(TufKey.Ecdsa, key.ExportSubjectPublicKeyInfo());

    public static ServerKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public static ServerKey Import(byte[] pkcs8)
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        return new ServerKey(key);
    }

    public byte[] ExportPkcs8() => key.ExportPkcs8PrivateKey();

    /// <summary>Notary's <c>ecdsa</c> signature: r||s over SHA-256.</summary>
    public byte[] Sign(byte[] message) => key.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public void Dispose() => key.Dispose();
}
