namespace Registry.Options;

/// <summary>Settings under <c>Registry:Auth</c>: token authentication, accounts and login throttling.</summary>
public sealed class AuthOptions
{
    public const string Section = "Registry:Auth";

    /// <summary>
    /// When false, every request is served as a system administrator: for a registry on a closed network only.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The token endpoint clients are sent to; empty: <c>&lt;scheme&gt;://&lt;host&gt;/auth/token</c> of the request.</summary>
    public string? Realm { get; set; }

    /// <summary>The service name: the audience of registry tokens.</summary>
    public string Service { get; set; } = "registry";

    /// <summary>The issuer of tokens.</summary>
    public string Issuer { get; set; } = "serverless-registry";

    /// <summary>Lifetime of an access token.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Lifetime of a refresh token (OAuth2 refresh_token grant; what <c>docker login</c> keeps instead of the
    /// password). Long, because a password change, a deactivation, a delete or a revocation ends it at once.
    /// </summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A new signing key is made when the newest is older than this; the previous one still validates.</summary>
    public TimeSpan SigningKeyRotation { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Key Vault holding the signing keys as a secret (Azure); empty: a blob in the registry container.</summary>
    public Uri? KeyVaultUri { get; set; }

    /// <summary>Name of the bootstrap system administrator, created at start when <see cref="AdminPassword"/> is set.</summary>
    public string AdminUser { get; set; } = "admin";

    /// <summary>Password of the bootstrap administrator (set it as a secret app setting; never logged).</summary>
    public string? AdminPassword { get; set; }

    /// <summary>
    /// Failed logins of one account from one address within <see cref="FailureWindow"/> before each further try waits
    /// twice as long as the one before.
    /// </summary>
    public int MaxFailedLogins { get; set; } = 5;

    /// <summary>
    /// Failed logins allowed per client address within <see cref="FailureWindow"/> (higher than per account: many
    /// users may share one address behind NAT).
    /// </summary>
    public int MaxFailedLoginsPerAddress { get; set; } = 30;

    /// <summary>The window of the failure counts, and the longest wait of an account from one address.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Password checks (PBKDF2, tens of milliseconds of one core each) that run at once; further logins wait their
    /// turn without holding a thread, so that a burst of logins leaves the other cores to the registry's other requests.
    /// </summary>
    public int MaxConcurrentPasswordChecks { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);
}
