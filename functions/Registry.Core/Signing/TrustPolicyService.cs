using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Errors;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Services;
using Registry.Stores;

namespace Registry.Signing;

/// <summary>
/// Trust policies and signed-only pulls. A repository's policy applies, else its namespace's. With enforcement on, a
/// pull of an image by tag or digest answers 403 DENIED unless a valid signature by an identity the policy trusts covers
/// it: its own, or that of an index that lists it; Notary v1 trust data counts when a delegation role (targets/releases,
/// targets/&lt;signer&gt;) whose key the policy trusts names the digest. Manifests without an image layer (signatures, SBOMs) stay pullable. An allowed
/// decision is kept per (repository, digest, policy version), so pulls do not verify again; a refusal is not kept, so a
/// new signature counts at once. A policy is read again after Registry:MetadataCacheLifetime, and at once on the
/// instance that changed it.
/// </summary>
public sealed partial class TrustPolicyService(
    ISigningStore store, SignatureService signatures, SigningCredentials credentials, Trust.TrustDataService notary, IMetadataStore metadata, IContentStore content,
    IMemoryCache cache, IOptions<RegistryOptions> registry, IOptions<SigningOptions> options, ILogger<TrustPolicyService> logger)
{
    /// <summary>Most certificates or keys one policy trusts.</summary>
    public const int MaxIdentities = 20;

    private readonly TimeSpan _policyLifetime = registry.Value.MetadataCacheLifetime;
    private readonly TimeSpan _decisionLifetime = options.Value.DecisionCacheLifetime;

    /// <summary>The policy of a repository or namespace itself (not the effective one), or null.</summary>
    public Task<TrustPolicy?> GetOrNullAsync(string scope, bool isNamespace, CancellationToken cancellationToken = default) =>
        store.GetTrustOrNullAsync(scope, isNamespace, cancellationToken);

    public async Task<TrustPolicy> SaveAsync(TrustPolicy policy, CancellationToken cancellationToken = default)
    {
        var saved = await store.SaveTrustAsync(policy, cancellationToken);
        cache.Remove(PolicyKey(NamespaceOf(policy.Scope, policy.IsNamespace)));
        return saved;
    }

    public async Task<bool> DeleteAsync(string scope, bool isNamespace, CancellationToken cancellationToken = default)
    {
        var deleted = await store.DeleteTrustAsync(scope, isNamespace, cancellationToken);
        cache.Remove(PolicyKey(NamespaceOf(scope, isNamespace)));
        return deleted;
    }

    /// <summary>The policy that applies to a repository: its own, else its namespace's, else null.</summary>
    public async Task<TrustPolicy?> GetEffectiveAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        var policies = await ListCachedAsync(Auth.PermissionService.NamespaceOf(name), cancellationToken);
        return policies.FirstOrDefault(p => !p.IsNamespace && p.Scope == name.Value) ?? policies.FirstOrDefault(p => p.IsNamespace);
    }

    /// <summary>The policies of a namespace (its own and its repositories'), read at most once per Registry:MetadataCacheLifetime.</summary>
    private async Task<IReadOnlyList<TrustPolicy>> ListCachedAsync(string ns, CancellationToken cancellationToken) =>
        (await cache.GetOrCreateAsync(PolicyKey(ns), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = _policyLifetime;
            return store.ListTrustAsync(ns, cancellationToken);
        }))!;

    /// <summary>
    /// The identities a policy trusts: its CA certificates and public keys, and the registry's own CA when it says so.
    /// With no policy, the registry's CA only (what the signature listing reports against).
    /// </summary>
    public async Task<TrustAnchors> GetAnchorsAsync(TrustPolicy? policy, CancellationToken cancellationToken = default) =>
        (await cache.GetOrCreateAsync(("trust-anchors", policy?.Scope, policy?.ETag), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5);
            return ReadAnchorsAsync(policy, cancellationToken);
        }))!;

    private async Task<TrustAnchors> ReadAnchorsAsync(TrustPolicy? policy, CancellationToken cancellationToken)
    {
        var certificates = new List<X509Certificate2>();
        if (policy is null || policy.TrustRegistry)
        {
            try
            {
                certificates.Add((await credentials.GetAsync(cancellationToken)).Anchor);
            }
            catch (Exception e) when (e is InvalidOperationException or System.Security.Cryptography.CryptographicException or FormatException)
            {
                LogNoRegistryIdentity(logger, e.Message);
            }
        }

        foreach (var pem in Load(policy?.Certificates))
        {
            certificates.Add(X509Certificate2.CreateFromPem(pem));
        }

        return new TrustAnchors(certificates, Load(policy?.PublicKeys).Select(TrustedKey.FromPem).OfType<TrustedKey>().ToList());
    }

    /// <summary>The signatures of a manifest, each checked under the policy that applies to its repository (with none, the registry's CA).</summary>
    public async Task<IReadOnlyList<SignatureCheck>> CheckSignaturesAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default) =>
        await signatures.CheckAsync(name, digest, await GetAnchorsAsync(await GetEffectiveAsync(name, cancellationToken), cancellationToken), cancellationToken);

    /// <summary>
    /// Refuses (DENIED, naming the policy) the pull of <paramref name="manifest"/> from <paramref name="name"/> when
    /// the policy that applies enforces signatures and none by a trusted identity covers it.
    /// </summary>
    public async Task CheckPullAsync(RepositoryName name, ManifestService.StoredManifest manifest, CancellationToken cancellationToken = default)
    {
        var policy = await GetEffectiveAsync(name, cancellationToken);
        if (policy is not { Enforce: true })
        {
            return;
        }

        var decision = DecisionKey(name, manifest.Digest, policy);
        if (cache.TryGetValue(decision, out _))
        {
            return;
        }

        var parsed = ManifestParser.Parse(manifest.Content, manifest.MediaType) with { Digest = manifest.Digest };
        if (SignatureService.IsAttachment(parsed))
        {
            return;
        }

        var anchors = await GetAnchorsAsync(policy, cancellationToken);
        if (await IsSignedAsync(name, manifest.Digest, manifest.Content.Length, anchors, cancellationToken)
            || await IsInSignedIndexAsync(name, manifest.Digest, anchors, cancellationToken))
        {
            Allow(name, policy, manifest.Digest);
            foreach (var child in parsed.Manifests)
            {
                if (Digest.TryParse(child.Digest, out var childDigest))
                {
                    Allow(name, policy, childDigest);
                }
            }

            return;
        }

        var scope = policy.IsNamespace ? $"namespace {policy.Scope}" : $"repository {policy.Scope}";
        throw RegistryException.Of(OciErrorCode.Denied,
            $"the trust policy of {scope} requires a signature by a trusted identity, and {manifest.Digest} has none", "policy", scope);
    }

    /// <summary>Whether an index of the repository that lists <paramref name="digest"/> is signed by a trusted identity.</summary>
    private async Task<bool> IsInSignedIndexAsync(RepositoryName name, Digest digest, TrustAnchors anchors, CancellationToken cancellationToken)
    {
        var target = digest.ToString();
        var graph = await ManifestGraph.LoadAsync(metadata, content, name, cancellationToken);
        foreach (var (parentDigest, (_, parsed)) in graph.Manifests)
        {
            if (parsed is { } index && index.Manifests.Any(m => m.Digest == target) && Digest.TryParse(parentDigest, out var parent)
                && await IsSignedAsync(name, parent, null, anchors, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Signed by a trusted identity: a signature of the registry's kinds, or Notary trust data by a trusted delegation key.</summary>
    private async Task<bool> IsSignedAsync(RepositoryName name, Digest digest, long? size, TrustAnchors anchors, CancellationToken cancellationToken) =>
        await signatures.IsSignedAsync(name, digest, anchors, cancellationToken)
        || (await notary.FindDelegationSignersAsync(name, digest, size, cancellationToken)).Any(key => Trusts(anchors, key));

    /// <summary>
    /// Whether a Notary delegation key is trusted: its public key is one of the policy's keys, or its certificate is
    /// one of the policy's certificates or is issued by one (valid now).
    /// </summary>
    public static bool Trusts(TrustAnchors anchors, Trust.TufKey key)
    {
        var id = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(key.SubjectPublicKeyInfo()));
        if (anchors.Keys.Any(k => k.Id == id))
        {
            return true;
        }

        if (!key.IsCertificate || anchors.Certificates.Count == 0)
        {
            return false;
        }

        using var certificate = key.Certificate();
        if (anchors.Certificates.Any(a => a.RawData.AsSpan().SequenceEqual(certificate.RawData)))
        {
            return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors.Certificates.ToArray());
        return chain.Build(certificate);
    }

    /// <summary>Reads a JSON array of PEM texts as a policy stores it.</summary>
    public static IReadOnlyList<string> Load(string? stored) =>
        string.IsNullOrEmpty(stored) ? [] : JsonSerializer.Deserialize<List<string>>(stored) ?? [];

    private void Allow(RepositoryName name, TrustPolicy policy, Digest digest) =>
        cache.Set(DecisionKey(name, digest, policy), true, _decisionLifetime);

    private static (string, string) PolicyKey(string ns) => ("trust-policies", ns);

    private static string NamespaceOf(string scope, bool isNamespace) => isNamespace ? scope : Auth.PermissionService.NamespaceOf(scope);

    private static (string, string, string, string?) DecisionKey(RepositoryName name, Digest digest, TrustPolicy policy) =>
        ("trust-allow", name.Value, digest.ToString(), policy.ETag);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The registry's signing CA is not trusted by trust policies: {Reason}")]
    private static partial void LogNoRegistryIdentity(ILogger logger, string reason);
}
