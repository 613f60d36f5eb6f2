using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Registry.Auth;
using Registry.Errors;
using Registry.Options;

namespace Registry.Http;

/// <summary>
/// Token authentication of /v2/ (distribution docs/spec/auth/token.md). A request without a valid bearer token gets
/// 401 UNAUTHORIZED with a WWW-Authenticate challenge that names the realm, the service and the scope to ask for. A
/// valid token that lacks the scope gets the same challenge with <c>error="insufficient_scope"</c> when a fresh token
/// could carry it, so that clients widen their scope; 403 DENIED is for what the caller can never be granted.
/// </summary>
public sealed class RegistryAuthorizer(
    TokenService tokens, Authenticator authenticator, GrantService grants, IMemoryCache cache, IOptions<AuthOptions> options, IOptions<CacheOptions> cacheOptions)
{
    private readonly AuthOptions _options = options.Value;

    /// <summary>A cache of an origin sends clients to the origin's token endpoint, whose tokens it accepts.</summary>
    private readonly string? _originRealm = cacheOptions.Value.Origin ? $"{cacheOptions.Value.UpstreamUri()!.AbsoluteUri.TrimEnd('/')}/auth/token" : null;

    /// <summary>The name a content cache of an origin takes signed redirects for; null elsewhere.</summary>
    private readonly string? _cacheName = cacheOptions.Value.Origin && cacheOptions.Value.Name.Length > 0 ? cacheOptions.Value.Name : null;

    /// <summary>The token of an allowed request (null with authentication off); throws when it is not allowed.</summary>
    public async Task<ValidatedToken?> AuthorizeAsync(OciRequest request, CancellationToken cancellationToken = default)
    {
        if (!_options.Enabled)
        {
            return null;
        }

        if (_cacheName is not null && request.Route == RouteName.Blob && request.Http.Method == "GET"
            && request.Http.Query[Caching.ContentCacheService.RedirectTokenParameter].ToString() is { Length: > 0 } signed)
        {
            // a blob redirect the origin signed for this cache: the client followed it without its own token
            return await tokens.ValidateRedirectTokenAsync(signed, _cacheName, request.Name, request.Digest!.Value, cancellationToken)
                ?? throw RegistryException.Of(OciErrorCode.Denied, "the signed redirect is invalid, expired, or not for this cache, repository and digest",
                    "digest", request.Digest!.Value.ToString());
        }

        var (scope, action) = Required(request);
        var token = await ReadBearerAsync(request.Http, cancellationToken)
            ?? throw Challenge(request.Http, scope, error: null);
        // the trust data of a GUN with a host is checked against the grant made for that reading of the name
        var type = request.Gun is { Host.Length: > 0 } ? Scope.TrustType : scope?.Type;
        if (scope is null || token.Allows(type!, scope.Name, action))
        {
            return token;
        }

        // notary-server answers 401 to what a token lacks, and the Notary client then says "not authorized" (a 403 it
        // reports as a server it cannot reach)
        if (request.Gun is not null || await CanBeGrantedAsync(token, scope, type!, action, cancellationToken))
        {
            throw Challenge(request.Http, scope, "insufficient_scope");
        }

        throw RegistryException.Of(OciErrorCode.Denied, "requested access to the resource is denied", "scope", scope.ToString());
    }

    /// <summary>
    /// True when a new token asked for <paramref name="scope"/> would carry <paramref name="action"/>: anonymous callers
    /// may log in; an account gets what the permission model grants it now (the same grant as the token endpoint's),
    /// and a deleted account nothing, even when a new account has its name.
    /// </summary>
    private async Task<bool> CanBeGrantedAsync(ValidatedToken token, Scope scope, string type, string action, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token.Subject) || _originRealm is not null)
        {
            return true;   // anonymous callers may log in; at a cache, the origin judges
        }

        var principal = await authenticator.FindActiveAsync(token.Subject, token.AccountId, cancellationToken);
        if (principal is null)
        {
            return false;
        }

        var granted = await grants.GrantAsync(principal, [scope], cancellationToken);
        return granted.Any(s => s.Type == type && (s.Actions.Contains(action) || s.Actions.Contains(Access.All)));
    }

    /// <summary>The scope a request needs (null: any valid token) and the action it is checked for, from its route's row.</summary>
    internal static (Scope? Scope, string Action) Required(OciRequest request)
    {
        var name = request.ScopeName;
        return request.Access switch
        {
            RequiredAccess.None => (null, ""),
            RequiredAccess.Catalog => (Scope.Catalog, Access.All),
            RequiredAccess.Push => (Repository(name, Access.Pull, Access.Push), Access.Push),
            RequiredAccess.Delete => (Repository(name, Access.Delete), Access.Delete),
            RequiredAccess.Admin => (Repository(name, Access.All), Access.All),
            _ => (Repository(name, Access.Pull), Access.Pull),
        };
    }

    /// <summary>The realm of challenges: the setting, or the token endpoint of the host the client asked.</summary>
    public string RealmOf(HttpRequest request) =>
        !string.IsNullOrEmpty(_options.Realm) ? _options.Realm : _originRealm ?? $"{request.Scheme}://{request.Host}/auth/token";

    private static Scope Repository(string name, params string[] actions) => new(Scope.RepositoryType, name, actions);

    private async Task<ValidatedToken?> ReadBearerAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // A client sends the same header on every request: remember it whole, so the hot path cuts no substring.
        if (cache.TryGetValue(("bearer", header), out ValidatedToken? known))
        {
            return known;
        }

        var token = await tokens.ValidateAccessTokenAsync(header[7..].Trim(), cancellationToken);
        if (token is not null)
        {
            cache.Set(("bearer", header), token, token.ExpiresAt);
        }

        return token;
    }

    private RegistryException Challenge(HttpRequest request, Scope? scope, string? error)
    {
        var challenge = $"Bearer realm=\"{RealmOf(request)}\",service=\"{_options.Service}\"";
        if (scope is not null)
        {
            challenge += $",scope=\"{scope}\"";
        }

        if (error is not null)
        {
            challenge += $",error=\"{error}\"";
        }

        var e = scope is null
            ? new RegistryException(OciErrorCode.Unauthorized, "authentication required")
            : RegistryException.Of(OciErrorCode.Unauthorized, "authentication required", "scope", scope.ToString());
        return e.WithHeader("WWW-Authenticate", challenge);
    }
}
