using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Registry.Options;

namespace Registry.Auth;

/// <summary>
/// Registry tokens after distribution's token spec (docs/spec/auth/jwt.md): ES256 JWTs with iss, sub, aud (the
/// service), exp, nbf, iat, jti and an <c>access</c> claim of granted scopes. Refresh tokens are JWTs of their own
/// audience (<c>&lt;service&gt;#refresh</c>) that carry no access. Validation accepts ES256 only, a known kid, and
/// checks signature, expiry, not-before, audience and issuer.
/// </summary>
public sealed class TokenService(
    SigningKeyStore keys, Caching.OriginKeys originKeys, IOptions<AuthOptions> options, IOptions<CacheOptions> cache, TimeProvider time)
{
    private readonly AuthOptions _options = options.Value;
    private readonly bool _originsTokens = cache.Value.Origin;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>An access token for <paramref name="principal"/> (its name as subject, its account id) with <paramref name="granted"/>.</summary>
    public async Task<IssuedToken> IssueAccessTokenAsync(Principal principal, IReadOnlyList<Scope> granted, CancellationToken cancellationToken = default)
    {
        var access = granted.Select(s => new Dictionary<string, object>
        {
            ["type"] = s.Type,
            ["name"] = s.Name,
            ["actions"] = s.Actions.ToArray(),
        }).ToArray();
        var claims = new Dictionary<string, object> { ["access"] = access };
        if (principal.AccountId is not null)
        {
            claims[AccountIdClaim] = principal.AccountId;
        }

        return await IssueAsync(principal.Name ?? "", _options.Service, _options.TokenLifetime, claims, cancellationToken);
    }

    /// <summary>A refresh token of <paramref name="session"/>: the account's name, immutable id and session generation.</summary>
    public Task<IssuedToken> IssueRefreshTokenAsync(RefreshSession session, CancellationToken cancellationToken = default) =>
        IssueAsync(session.User, RefreshAudience, _options.RefreshTokenLifetime,
            new Dictionary<string, object> { [AccountIdClaim] = session.AccountId, [GenerationClaim] = session.Generation }, cancellationToken);

    /// <summary>
    /// A signed blob redirect to the content cache <paramref name="cacheName"/>: a token only for that cache (audience
    /// <c>&lt;service&gt;#cache:&lt;name&gt;</c>), that repository's pull and that digest, short-lived. Only the origin's
    /// key can sign it; the cache checks it against the keys the origin publishes.
    /// </summary>
    public async Task<IssuedToken> IssueRedirectTokenAsync(
        string subject, string accountId, Oci.RepositoryName name, Oci.Digest digest, string cacheName, TimeSpan lifetime, CancellationToken cancellationToken = default) =>
        await IssueAsync(subject, CacheAudience(cacheName), lifetime, new Dictionary<string, object>
        {
            [AccountIdClaim] = accountId,
            [DigestClaim] = digest.ToString(),
            ["access"] = new[] { new Dictionary<string, object> { ["type"] = Scope.RepositoryType, ["name"] = name.Value, ["actions"] = new[] { Access.Pull } } },
        }, cancellationToken);

    /// <summary>
    /// The grant of a valid redirect token for this cache, repository and digest, or null (forged, expired, for another
    /// cache, repository or digest). Expiry is checked without the clock skew access tokens get.
    /// </summary>
    public async Task<ValidatedToken?> ValidateRedirectTokenAsync(
        string token, string cacheName, Oci.RepositoryName name, Oci.Digest digest, CancellationToken cancellationToken = default)
    {
        var jwt = await ValidateAsync(token, CacheAudience(cacheName), cancellationToken, TimeSpan.FromSeconds(2));
        if (jwt is null || !jwt.TryGetPayloadValue<string>(DigestClaim, out var signed) || signed != digest.ToString())
        {
            return null;
        }

        var validated = new ValidatedToken(jwt.Subject, jwt.TryGetPayloadValue<string>(AccountIdClaim, out var accountId) ? accountId : "",
            ReadAccess(jwt), new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
        return validated.Allows(Scope.RepositoryType, name.Value, Access.Pull) ? validated : null;
    }

    private string CacheAudience(string cacheName) => $"{_options.Service}#cache:{cacheName}";

    /// <summary>The subject, its account id, the grants and expiry of a valid access token, or null.</summary>
    public async Task<ValidatedToken?> ValidateAccessTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        var jwt = await ValidateAsync(token, _options.Service, cancellationToken);
        return jwt is null
            ? null
            : new ValidatedToken(jwt.Subject, jwt.TryGetPayloadValue<string>(AccountIdClaim, out var accountId) ? accountId : "",
                ReadAccess(jwt), new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
    }

    /// <summary>The session a valid refresh token names, or null.</summary>
    public async Task<RefreshSession?> ValidateRefreshTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        var jwt = await ValidateAsync(token, RefreshAudience, cancellationToken);
        return !string.IsNullOrEmpty(jwt?.Subject)
            && jwt.TryGetPayloadValue<string>(AccountIdClaim, out var accountId)
            && jwt.TryGetPayloadValue<int>(GenerationClaim, out var generation)
                ? new RefreshSession(jwt.Subject, accountId, generation)
                : null;
    }

    private const string AccountIdClaim = "aid";
    private const string GenerationClaim = "sgen";
    private const string DigestClaim = "digest";

    private string RefreshAudience => _options.Service + "#refresh";

    private async Task<IssuedToken> IssueAsync(
        string subject, string audience, TimeSpan lifetime, Dictionary<string, object> claims, CancellationToken cancellationToken)
    {
        var key = await keys.GetSigningKeyAsync(cancellationToken);
        var now = time.GetUtcNow();
        claims["sub"] = subject;
        claims["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });
        return new IssuedToken(token, (int)lifetime.TotalSeconds, now);
    }

    private async Task<JsonWebToken?> ValidateAsync(string token, string audience, CancellationToken cancellationToken, TimeSpan? skew = null)
    {
        var leeway = skew ?? TimeSpan.FromSeconds(30);
        if (token.Length > 16 * 1024)
        {
            return null;
        }

        // a cache of an origin takes the origin's tokens, validated against the keys the origin publishes
        IEnumerable<SecurityKey> known = _originsTokens
            ? await originKeys.GetKeysAsync(KidOf(token), cancellationToken)
            : await keys.GetKeysAsync(cancellationToken);
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = audience,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            IssuerSigningKeys = known,
            TryAllIssuerSigningKeys = false,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = leeway,
            LifetimeValidator = (notBefore, expires, _, _) =>
                notBefore is { } nbf && expires is { } exp
                && nbf <= time.GetUtcNow().UtcDateTime + leeway && exp > time.GetUtcNow().UtcDateTime - leeway,
        });
        return result.IsValid ? result.SecurityToken as JsonWebToken : null;
    }

    private string? KidOf(string token)
    {
        try
        {
            return _handler.ReadJsonWebToken(token).Kid;
        }
        catch (ArgumentException)
        {
            return null;   // not a JWT: validation refuses it
        }
    }

    private static IReadOnlyList<Scope> ReadAccess(JsonWebToken jwt)
    {
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        using var document = JsonDocument.Parse(payload);
        if (!document.RootElement.TryGetProperty("access", out var access) || access.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var scopes = new List<Scope>();
        foreach (var entry in access.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Object
                && entry.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && entry.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                && entry.TryGetProperty("actions", out var actions) && actions.ValueKind == JsonValueKind.Array)
            {
                scopes.Add(new Scope(type.GetString()!, name.GetString()!,
                    actions.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToList()));
            }
        }

        return scopes;
    }
}

/// <summary>What a refresh token is bound to: the account by name and immutable id, and its session generation.</summary>
public sealed record RefreshSession(string User, string AccountId, int Generation);

/// <summary>A token as the token endpoint hands it out.</summary>
public sealed record IssuedToken(string Token, int ExpiresIn, DateTimeOffset IssuedAt);

/// <summary>
/// What a valid access token says: its subject (empty for anonymous), the subject's account id (empty for anonymous),
/// its grants and when it expires.
/// </summary>
public sealed record ValidatedToken(string Subject, string AccountId, IReadOnlyList<Scope> Access, DateTimeOffset ExpiresAt)
{
    /// <summary>True when the token grants <paramref name="action"/> on <paramref name="type"/>:<paramref name="name"/>.</summary>
    public bool Allows(string type, string name, string action)
    {
        foreach (var scope in Access)
        {
            if (scope.Type == type && scope.Name == name)
            {
                foreach (var granted in scope.Actions)
                {
                    if (granted == action || granted == Auth.Access.All)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}
