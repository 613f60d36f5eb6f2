using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Registry.Signing;

/// <summary>
/// The registry's signing certificate with its private key, and its chain up to the trust anchor users add to their
/// trust store (leaf first, anchor last; one certificate when the signing certificate is self-signed).
/// <paramref name="Authority"/> is the CA with its private key when the registry issued the certificate itself
/// (locally), so that it can issue the next one; null for a certificate from Key Vault.
/// </summary>
public sealed record SigningIdentity(X509Certificate2 Certificate, IReadOnlyList<X509Certificate2> Chain, X509Certificate2? Authority)
{
    /// <summary>The root of the chain: what a Notation trust store of type <c>ca</c> holds.</summary>
    public X509Certificate2 Anchor => Chain[^1];

    /// <summary>SHA-256 thumbprints of the chain, leaf first, in upper-case hex (the signature manifest's annotation).</summary>
    public IReadOnlyList<string> Thumbprints => Chain.Select(c => c.GetCertHashString(HashAlgorithmName.SHA256)).ToList();

    /// <summary>How long a certificate the registry issues itself is valid.</summary>
    public static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    /// <summary>How long before its end a certificate the registry issued is replaced.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    private static readonly TimeSpan AuthorityLifetime = TimeSpan.FromDays(3650);

    /// <summary>
    /// A new CA (ECDSA P-256, basicConstraints CA critical, keyCertSign critical) and a signing certificate it issues
    /// (keyUsage digitalSignature critical, extendedKeyUsage codeSigning): what the Notary Project's certificate
    /// requirements ask of a chain.
    /// </summary>
    public static SigningIdentity CreateAuthority(string name, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name} Signing CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var authority = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(AuthorityLifetime));
        return Issue(authority, name, now);
    }

    /// <summary>A new signing certificate from the CA of <paramref name="authority"/>, which has its private key.</summary>
    public static SigningIdentity Issue(X509Certificate2 authority, string name, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name} Image Signing", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var notAfter = now.Add(LeafLifetime) < authority.NotAfter ? now.Add(LeafLifetime) : new DateTimeOffset(authority.NotAfter.ToUniversalTime());
        using var issued = request.Create(authority, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        var leaf = issued.CopyWithPrivateKey(key);
        return new SigningIdentity(leaf, [leaf, X509CertificateLoader.LoadCertificate(authority.RawData)], authority);
    }

    /// <summary>The identity as PKCS#12 (no password), base64: the leaf and the CA, each with its private key when it has one.</summary>
    public string Export()
    {
        var collection = new X509Certificate2Collection { Certificate };
        foreach (var ca in Chain.Skip(1))
        {
            collection.Add(Authority is { } authority && authority.Thumbprint == ca.Thumbprint ? authority : ca);
        }

        return Convert.ToBase64String(collection.Export(X509ContentType.Pkcs12)!);
    }

    /// <summary>
    /// Reads a base64 PKCS#12 (what <see cref="Export"/> writes, or a Key Vault certificate's secret): the signing
    /// certificate is the one with a private key that is not a CA; the chain follows issuers through the others.
    /// </summary>
    public static SigningIdentity Import(string base64)
    {
        var all = X509CertificateLoader.LoadPkcs12Collection(Convert.FromBase64String(base64.Trim()), null, X509KeyStorageFlags.Exportable);
        var leaf = all.FirstOrDefault(c => c.HasPrivateKey && !IsAuthority(c))
            ?? all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new CryptographicException("the signing certificate document holds no certificate with a private key");
        var chain = new List<X509Certificate2> { leaf };
        while (!IsSelfIssued(chain[^1])
               && all.FirstOrDefault(c => !chain.Contains(c) && c.SubjectName.RawData.AsSpan().SequenceEqual(chain[^1].IssuerName.RawData)) is { } issuer)
        {
            chain.Add(issuer);
        }

        var authority = chain.Count > 1 && chain[^1].HasPrivateKey ? chain[^1] : null;
        return new SigningIdentity(leaf, chain.Select(c => c == authority || c == leaf ? c : X509CertificateLoader.LoadCertificate(c.RawData)).ToList(), authority);
    }

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static bool IsAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true };
}
