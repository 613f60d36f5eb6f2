using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Registry.Auth;
using Registry.Oci;
using Registry.Records;
using Registry.Signing;

namespace Registry.Dtr;

/// <summary>
/// Signing and trust over /api/v0: a repository's signing policies (DTR's policy shape and rules; read access to list,
/// admin to change; a dry run), the trust policies of repositories (repository admins) and namespaces (namespace
/// admins), the verified signatures of a manifest (read access), and the registry's signing CA (anyone).
/// </summary>
public sealed class SigningApiService(
    RepositoryApiService repositories, SigningPolicyService policies, TrustPolicyService trust, SigningCredentials credentials, TimeProvider time)
{
    /// <summary>Largest PEM text a trust policy takes per certificate or key.</summary>
    public const int MaxPemLength = 16 * 1024;

    /// <summary>Most characters the certificates, and the keys, of one policy take together (a table property holds 32 K).</summary>
    public const int MaxStoredLength = 30_000;

    // ---- signing policies -------------------------------------------------------------------------------

    public async Task<IReadOnlyList<SigningPolicyView>> ListPoliciesAsync(Principal principal, string ns, string repo, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return (await policies.ListAsync(name, cancellationToken)).Select(p => View(name, p)).ToList();
    }

    public async Task<SigningPolicyView> GetPolicyAsync(Principal principal, string ns, string repo, string id, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return View(name, await policies.GetOrNullAsync(name, id, cancellationToken) ?? throw NoSuchPolicy(id));
    }

    /// <summary>Creates (id null) or replaces a policy (repository admin); with initialEvaluation, queues the signing of what it selects now.</summary>
    public async Task<SigningPolicyView> SavePolicyAsync(
        Principal principal, string ns, string repo, string? id, SigningPolicyBody body, bool initialEvaluation, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        var rules = RepositoryApiService.CheckRules(body.Rules);
        if (id is not null && await policies.GetOrNullAsync(name, id, cancellationToken) is null)
        {
            throw NoSuchPolicy(id);
        }

        var policy = await policies.SaveAsync(name, id, body.Enabled ?? true, rules, body.SignPlatforms ?? false, cancellationToken);
        if (initialEvaluation && policy.Enabled)
        {
            await policies.EvaluateAsync(name, policy, cancellationToken);
            policy = await policies.GetOrNullAsync(name, policy.Id, cancellationToken) ?? policy;
        }

        return View(name, policy);
    }

    public async Task DeletePolicyAsync(Principal principal, string ns, string repo, string id, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        if (!await policies.DeleteAsync(name, id, cancellationToken))
        {
            throw NoSuchPolicy(id);
        }
    }

    /// <summary>The dry run: the tags the rules select now, signing nothing.</summary>
    public async Task<IReadOnlyList<SignedTag>> TestPolicyAsync(Principal principal, string ns, string repo, SigningPolicyBody body, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return await policies.SelectAsync(name, RepositoryApiService.CheckRules(body.Rules), cancellationToken);
    }

    // ---- trust policies ---------------------------------------------------------------------------------

    public async Task<TrustPolicyView> GetRepositoryTrustAsync(Principal principal, string ns, string repo, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return View(await trust.GetOrNullAsync(name.Value, false, cancellationToken) ?? throw NoSuchTrustPolicy(name.Value));
    }

    public async Task<TrustPolicyView> SetRepositoryTrustAsync(Principal principal, string ns, string repo, TrustPolicyBody body, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        return View(await trust.SaveAsync(Policy(name.Value, false, body), cancellationToken));
    }

    public async Task DeleteRepositoryTrustAsync(Principal principal, string ns, string repo, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        if (!await trust.DeleteAsync(name.Value, false, cancellationToken))
        {
            throw NoSuchTrustPolicy(name.Value);
        }
    }

    public async Task<TrustPolicyView> GetNamespaceTrustAsync(Principal principal, string ns, CancellationToken cancellationToken = default)
    {
        await repositories.RequireNamespaceAdminAsync(principal, ns, cancellationToken);
        return View(await trust.GetOrNullAsync(ns, true, cancellationToken) ?? throw NoSuchTrustPolicy(ns));
    }

    public async Task<TrustPolicyView> SetNamespaceTrustAsync(Principal principal, string ns, TrustPolicyBody body, CancellationToken cancellationToken = default)
    {
        await repositories.RequireNamespaceAdminAsync(principal, ns, cancellationToken);
        return View(await trust.SaveAsync(Policy(ns, true, body), cancellationToken));
    }

    public async Task DeleteNamespaceTrustAsync(Principal principal, string ns, CancellationToken cancellationToken = default)
    {
        await repositories.RequireNamespaceAdminAsync(principal, ns, cancellationToken);
        if (!await trust.DeleteAsync(ns, true, cancellationToken))
        {
            throw NoSuchTrustPolicy(ns);
        }
    }

    // ---- signatures -------------------------------------------------------------------------------------

    /// <summary>The signatures of a manifest (by digest), each checked under the trust policy that applies (read access).</summary>
    public async Task<IReadOnlyList<SignatureView>> ListSignaturesAsync(Principal principal, string ns, string repo, string digest, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        if (!Digest.TryParse(digest, out var parsed))
        {
            throw new DtrException(DtrError.InvalidParameter, "the manifest must be named by its digest");
        }

        return (await trust.CheckSignaturesAsync(name, parsed, cancellationToken))
            .Select(c => new SignatureView(c.Digest, c.Envelope, c.Identity, c.SignedAt, c.Valid, c.Reason))
            .ToList();
    }

    /// <summary>The registry's trust anchor, PEM: what users add to a Notation trust store of type ca.</summary>
    public async Task<string> GetCertificateAuthorityAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return (await credentials.GetAsync(cancellationToken)).Anchor.ExportCertificatePem() + "\n";
        }
        catch (InvalidOperationException e)
        {
            // In Azure, before the operator made the Key Vault certificate.
            throw new DtrException(DtrError.NotFound, e.Message);
        }
    }

    /// <summary>A policy from its body: every certificate and key must read as PEM, at most <see cref="TrustPolicyService.MaxIdentities"/> of each.</summary>
    private TrustPolicy Policy(string scope, bool isNamespace, TrustPolicyBody body)
    {
        var certificates = body.Certificates ?? [];
        var keys = body.PublicKeys ?? [];
        if (certificates.Count > TrustPolicyService.MaxIdentities || keys.Count > TrustPolicyService.MaxIdentities)
        {
            throw new DtrException(DtrError.InvalidFormField, $"certificates and publicKeys: at most {TrustPolicyService.MaxIdentities} each");
        }

        if (JsonSerializer.Serialize(certificates).Length > MaxStoredLength || JsonSerializer.Serialize(keys).Length > MaxStoredLength)
        {
            throw new DtrException(DtrError.InvalidFormField, $"certificates and publicKeys: at most {MaxStoredLength} characters of PEM each");
        }

        foreach (var pem in certificates)
        {
            if (pem is not { Length: > 0 and <= MaxPemLength } || !IsCertificate(pem))
            {
                throw new DtrException(DtrError.InvalidFormField, "certificates: each must be one PEM X.509 certificate");
            }
        }

        foreach (var pem in keys)
        {
            if (pem is not { Length: > 0 and <= MaxPemLength } || TrustedKey.FromPem(pem) is null)
            {
                throw new DtrException(DtrError.InvalidFormField, "publicKeys: each must be one PEM ECDSA or RSA public key");
            }
        }

        return new TrustPolicy
        {
            Scope = scope,
            IsNamespace = isNamespace,
            Enforce = body.Enforce ?? false,
            TrustRegistry = body.TrustRegistry ?? true,
            Certificates = JsonSerializer.Serialize(certificates),
            PublicKeys = JsonSerializer.Serialize(keys),
            UpdatedAt = time.GetUtcNow(),
        };
    }

    private static bool IsCertificate(string pem)
    {
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(pem);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static SigningPolicyView View(RepositoryName name, SigningPolicy p) =>
        new(p.Id, name.Value, p.Enabled, Services.PolicyRule.Load(p.Rules), p.SignPlatforms, p.LastSignedAt);

    private static TrustPolicyView View(TrustPolicy p) =>
        new(p.Scope, p.IsNamespace ? "namespace" : "repository", p.Enforce, p.TrustRegistry,
            TrustPolicyService.Load(p.Certificates), TrustPolicyService.Load(p.PublicKeys), p.UpdatedAt);

    private static DtrException NoSuchPolicy(string id) => new(DtrError.NoSuchSigningPolicy, $"no signing policy {id}");

    private static DtrException NoSuchTrustPolicy(string scope) => new(DtrError.NoSuchTrustPolicy, $"{scope} has no trust policy");
}
