using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Stores;
using Registry.Records;

namespace Registry.Auth;

/// <summary>The outcome of a login.</summary>
public enum LoginOutcome
{
    Success,
    Failed,
    Throttled,
}

/// <summary>
/// Checks a user name with a password or a personal access token. Passwords are verified by ASP.NET Core
/// Identity's PasswordHasher (PBKDF2, constant-time comparison); tokens by the SHA-256 of the token. Unknown
/// users cost the same hash work and storage reads as known ones. Failures are throttled per client address and per
/// account and address (<see cref="LoginThrottle"/>); at most <see cref="AuthOptions.MaxConcurrentPasswordChecks"/>
/// password checks run at once.
/// </summary>
public sealed class Authenticator(IAccountStore accounts, LoginThrottle throttle, IOptions<AuthOptions> options, TimeProvider time)
{
    /// <summary>Every personal access token starts with this, so a token is never tried as a password.</summary>
    public const string TokenPrefix = "srat_";

    private static readonly PasswordHasher<Account> Hasher = new();
    private static readonly string DummyHash = Hasher.HashPassword(new Account(), Guid.NewGuid().ToString());

    private readonly SemaphoreSlim _passwordChecks = new(options.Value.MaxConcurrentPasswordChecks);

    public static string HashPassword(string password) => Hasher.HashPassword(new Account(), password);

    /// <summary>The SHA-256 (hex) under which a personal access token is stored.</summary>
    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public async Task<(LoginOutcome Outcome, Principal? Principal)> LoginAsync(
        string user, string secret, string clientAddress, CancellationToken cancellationToken = default)
    {
        if (throttle.IsLocked(user, clientAddress))
        {
            return (LoginOutcome.Throttled, null);
        }

        var account = user.Length is > 0 and <= 255 ? await accounts.GetAccountOrNullAsync(user, cancellationToken) : null;
        var byToken = secret.StartsWith(TokenPrefix, StringComparison.Ordinal);
        var valid = byToken ? await CheckTokenAsync(account, secret, cancellationToken) : await VerifyPasswordAsync(account, secret, cancellationToken);
        if (!valid || account is null || account.IsOrg || !account.IsActive)
        {
            throttle.RecordFailure(user, clientAddress);
            return (LoginOutcome.Failed, null);
        }

        throttle.RecordSuccess(user, clientAddress);
        return (LoginOutcome.Success, new Principal(account.Name, account.Id, account.IsAdmin, byToken));
    }

    /// <summary>The principal of an active user account, when it is still the account of that id (not a new one of the name).</summary>
    public async Task<Principal?> FindActiveAsync(string user, string accountId, CancellationToken cancellationToken = default)
    {
        var account = await accounts.GetAccountOrNullAsync(user, cancellationToken);
        return account is { IsOrg: false, IsActive: true } && account.Id == accountId ? new Principal(account.Name, account.Id, account.IsAdmin) : null;
    }

    /// <summary>The session a new refresh token of a principal binds to, while its account is active; or null.</summary>
    public async Task<RefreshSession?> GetSessionAsync(Principal principal, CancellationToken cancellationToken = default)
    {
        var account = principal.IsAnonymous ? null : await accounts.GetAccountOrNullAsync(principal.Name!, cancellationToken);
        return account is { IsOrg: false, IsActive: true } && account.Id == principal.AccountId
            ? new RefreshSession(account.Name, account.Id, account.SessionGeneration)
            : null;
    }

    /// <summary>
    /// The principal of a refresh token's session while it holds: the same account (not a new one of that name), active,
    /// and no password change, deactivation or revocation since the token was issued.
    /// </summary>
    public async Task<Principal?> ResumeAsync(RefreshSession session, CancellationToken cancellationToken = default)
    {
        var account = await accounts.GetAccountOrNullAsync(session.User, cancellationToken);
        return account is { IsOrg: false, IsActive: true } && account.Id == session.AccountId && account.SessionGeneration == session.Generation
            ? new Principal(account.Name, account.Id, account.IsAdmin)
            : null;
    }

    /// <summary>
    /// True when <paramref name="password"/> is the account's; an unknown account costs the same hash work. Waits for
    /// its turn among <see cref="AuthOptions.MaxConcurrentPasswordChecks"/>.
    /// </summary>
    public async Task<bool> VerifyPasswordAsync(Account? account, string password, CancellationToken cancellationToken = default)
    {
        await _passwordChecks.WaitAsync(cancellationToken);
        try
        {
            var hash = account?.PasswordHash ?? DummyHash;
            var result = Hasher.VerifyHashedPassword(account ?? new Account(), hash, password);
            return account?.PasswordHash is not null && result != PasswordVerificationResult.Failed;
        }
        finally
        {
            _passwordChecks.Release();
        }
    }

    private async Task<bool> CheckTokenAsync(Account? account, string token, CancellationToken cancellationToken)
    {
        // An unknown account costs the same read, so that timing does not tell which names exist.
        var stored = await accounts.GetAccessTokenOrNullAsync(account?.Id ?? "-", HashToken(token), cancellationToken);
        if (account is null || stored is null || !stored.IsActive || stored.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            return false;
        }

        stored.LastUsed = time.GetUtcNow();
        await accounts.UpdateAccessTokenAsync(stored, cancellationToken);
        return true;
    }
}
