using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Stores;

namespace Registry.Signing;

/// <summary>
/// The registry's signing identity. In Azure it is a Key Vault certificate (Registry:Signing:Certificate): a new
/// certificate version rotates it, and instances read the newest within <see cref="RereadAfter"/>. Without a vault the
/// registry makes a CA and a signing certificate at first use and keeps them, as PKCS#12, in one document of its
/// storage written only if nobody wrote it first (as the token keys are); it issues the next signing certificate from
/// the same CA <see cref="SigningIdentity.RenewBefore"/> the end of the current one, so the trust anchor stays.
/// </summary>
public sealed class SigningCredentials(
    [FromKeyedServices(SigningCredentials.DocumentKey)] ISigningKeyDocument document, IOptions<SigningOptions> options,
    IOptions<AuthOptions> auth, TimeProvider time)
{
    /// <summary>The service key of the document that holds the signing certificate.</summary>
    public const string DocumentKey = "image-signing";

    private static readonly TimeSpan RereadAfter = TimeSpan.FromMinutes(5);

    private readonly bool _managedHere = auth.Value.KeyVaultUri is null;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private SigningIdentity? _identity;
    private DateTimeOffset _readAt;

    /// <summary>The identity that signs now.</summary>
    public async Task<SigningIdentity> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_identity is { } cached && time.GetUtcNow() - _readAt < RereadAfter && !NeedsRenewal(cached))
        {
            return cached;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            var (stored, version) = await document.ReadAsync(cancellationToken);
            var identity = stored is null ? null : SigningIdentity.Import(stored);
            if (_managedHere && (identity is null || NeedsRenewal(identity)))
            {
                var next = identity?.Authority is { } authority
                    ? SigningIdentity.Issue(authority, options.Value.Name, time.GetUtcNow())
                    : SigningIdentity.CreateAuthority(options.Value.Name, time.GetUtcNow());
                if (await document.TryWriteAsync(next.Export(), version, cancellationToken))
                {
                    identity = next;
                }
                else
                {
                    var (written, _) = await document.ReadAsync(cancellationToken);   // another instance wrote first
                    identity = written is null ? null : SigningIdentity.Import(written);
                }
            }

            _identity = identity ?? throw new InvalidOperationException(
                $"Key Vault has no certificate {options.Value.Certificate} to sign with (Registry:Signing:Certificate)");
            _readAt = time.GetUtcNow();
            return identity;
        }
        finally
        {
            _lock.Release();
        }
    }

    private bool NeedsRenewal(SigningIdentity identity) =>
        _managedHere && identity.Authority is not null && time.GetUtcNow() >= identity.Certificate.NotAfter.ToUniversalTime() - SigningIdentity.RenewBefore;
}
