using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Registry.Auth;
using Registry.Errors;
using Registry.Options;

namespace Registry.Http;

/// <summary>
/// The token endpoint, <c>/auth/token</c>: GET with Basic credentials, a refresh token as bearer, or nothing (an
/// anonymous token) after distribution's token spec, and POST with the OAuth2 form (grant_type password or
/// refresh_token) after its oauth spec. Grants are the intersection of the asked scopes and the permission model.
/// </summary>
public sealed class TokenEndpoint(
    Authenticator authenticator, GrantService grants, TokenService tokens, SigningKeyStore keys, IOptions<AuthOptions> options, ILogger<TokenEndpoint> logger)
    : OciEntry(logger)
{
    private readonly AuthOptions _options = options.Value;

    /// <summary>One public key of the token signing keys, as a JSON Web Key (RFC 7517/7518: EC, P-256, ES256).</summary>
    public sealed record JsonWebKeyView(
        [property: JsonPropertyName("kty")] string Kty,
        [property: JsonPropertyName("crv")] string Crv,
        [property: JsonPropertyName("x")] string X,
        [property: JsonPropertyName("y")] string Y,
        [property: JsonPropertyName("kid")] string Kid,
        [property: JsonPropertyName("use")] string Use,
        [property: JsonPropertyName("alg")] string Alg);

    public sealed record JsonWebKeySet([property: JsonPropertyName("keys")] IReadOnlyList<JsonWebKeyView> Keys);

    /// <summary>
    /// <c>/auth/jwks</c>: the public halves of the keys that sign tokens (the one signing now and those kept to validate
    /// older tokens), so that another service (a cache of this registry) can validate this registry's tokens. Never a
    /// private parameter: only the public point is exported.
    /// </summary>
    public Task<IActionResult> GetKeysAsync(HttpRequest request, CancellationToken cancellationToken = default) =>
        ServeAsync(request, async () =>
        {
            request.HttpContext.Items[Telemetry.RegistryTelemetry.RouteItem] = "jwks";
            if (!_options.Enabled)
            {
                throw new RegistryException(OciErrorCode.Unsupported, "authentication is switched off", status: 404);
            }

            var published = (await keys.GetKeysAsync(cancellationToken)).Select(key =>
            {
                var point = key.ECDsa.ExportParameters(includePrivateParameters: false).Q;
                return new JsonWebKeyView("EC", "P-256", Base64UrlEncoder.Encode(point.X!), Base64UrlEncoder.Encode(point.Y!), key.KeyId, "sig", "ES256");
            }).ToList();
            return HttpResult.Json(200, new JsonWebKeySet(published), "application/jwk-set+json").WithHeader("Cache-Control", "public, max-age=300");
        }, cancellationToken);

    /// <summary>The body of a token answer (both forms: Docker's <c>token</c> and OAuth2's <c>access_token</c>).</summary>
    public sealed record TokenAnswer(
        [property: JsonPropertyName("token")] string Token,
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] int ExpiresIn,
        [property: JsonPropertyName("issued_at")] string IssuedAt,
        [property: JsonPropertyName("scope")] string Scope,
        [property: JsonPropertyName("refresh_token")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RefreshToken);

    public Task<IActionResult> IssueTokenAsync(HttpRequest request, CancellationToken cancellationToken = default) =>
        ServeAsync(request, async () =>
        {
            request.HttpContext.Items[Telemetry.RegistryTelemetry.RouteItem] = request.Method == "POST" ? "oauth2" : "token";
            if (!_options.Enabled)
            {
                throw new RegistryException(OciErrorCode.Unsupported, "authentication is switched off", status: 404);
            }

            return HttpMethods.IsPost(request.Method)
                ? await IssueFromFormAsync(request, cancellationToken)
                : await IssueFromQueryAsync(request, cancellationToken);
        }, cancellationToken);

    protected override OciErrorCode BadBodyCode => OciErrorCode.Unsupported;

    /// <summary>The largest form accepted: a login needs a few hundred bytes; anonymous callers must not make it parse megabytes.</summary>
    public const int MaxFormBytes = 64 * 1024;

    private static readonly FormOptions FormLimits = new()
    {
        ValueCountLimit = 64,
        KeyLengthLimit = 256,
        ValueLengthLimit = MaxFormBytes,
        BufferBodyLengthLimit = MaxFormBytes,
        MultipartBodyLengthLimit = MaxFormBytes,
        MultipartHeadersCountLimit = 16,
        MultipartHeadersLengthLimit = 4096,
    };

    /// <summary>The OAuth2 form, within <see cref="FormLimits"/> (the length checked before parsing); 400 when it cannot be read.</summary>
    private static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxFormBytes)
        {
            throw new RegistryException(OciErrorCode.Unsupported, $"the form is larger than {MaxFormBytes} bytes", status: 400);
        }

        try
        {
            return await request.ReadFormAsync(FormLimits, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new RegistryException(OciErrorCode.Unsupported, "the form cannot be read (malformed, or beyond its limits)", status: 400);
        }
    }

    private async Task<HttpResult> IssueFromQueryAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        CheckService(request.Query["service"]);
        var principal = Principal.Anonymous;
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            principal = await FromRefreshTokenAsync(header[7..].Trim(), cancellationToken);
        }
        else if (header.Length > 0)
        {
            var (user, secret) = BasicCredentials.Parse(header) ?? throw Unauthorized("expected Basic credentials");
            principal = await LoginAsync(request, user, secret, cancellationToken);
        }

        var offline = string.Equals(request.Query["offline_token"], "true", StringComparison.OrdinalIgnoreCase);
        return await AnswerAsync(principal, Scope.ParseAll(request.Query["scope"]), offline, cancellationToken);
    }

    private async Task<HttpResult> IssueFromFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            throw new RegistryException(OciErrorCode.Unsupported, "expected an application/x-www-form-urlencoded body", status: 400);
        }

        var form = await ReadFormAsync(request, cancellationToken);
        CheckService(form["service"]);
        Principal principal;
        switch (form["grant_type"].ToString())
        {
            case "password":
                principal = await LoginAsync(request, form["username"].ToString(), form["password"].ToString(), cancellationToken);
                break;
            case "refresh_token":
                principal = await FromRefreshTokenAsync(form["refresh_token"].ToString(), cancellationToken);
                break;
            default:
                throw new RegistryException(OciErrorCode.Unsupported, "grant_type must be password or refresh_token", status: 400);
        }

        var offline = form["access_type"].ToString() == "offline" || form["grant_type"].ToString() == "refresh_token";
        return await AnswerAsync(principal, Scope.ParseAll(form["scope"]), offline, cancellationToken);
    }

    /// <summary>Most scopes one token request may ask for (each costs permission lookups).</summary>
    public const int MaxScopes = 32;

    private async Task<HttpResult> AnswerAsync(Principal principal, IReadOnlyList<Scope> requested, bool offline, CancellationToken cancellationToken)
    {
        if (requested.Count > MaxScopes)
        {
            throw new RegistryException(OciErrorCode.Unsupported, $"at most {MaxScopes} scopes per token", status: 400);
        }

        var granted = await grants.GrantAsync(principal, requested, cancellationToken);
        var token = await tokens.IssueAccessTokenAsync(principal, granted, cancellationToken);
        var session = offline ? await authenticator.GetSessionAsync(principal, cancellationToken) : null;
        var refresh = session is null ? null : (await tokens.IssueRefreshTokenAsync(session, cancellationToken)).Token;
        return HttpResult.Json(200, new TokenAnswer(
            token.Token, token.Token, "Bearer", token.ExpiresIn, token.IssuedAt.ToString("O", CultureInfo.InvariantCulture),
            string.Join(' ', granted), refresh))
            .WithHeader("Cache-Control", "no-store");
    }

    /// <summary>The user of a refresh token whose session still holds.</summary>
    private async Task<Principal> FromRefreshTokenAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var session = await tokens.ValidateRefreshTokenAsync(refreshToken, cancellationToken) ?? throw Unauthorized("invalid refresh token");
        return await authenticator.ResumeAsync(session, cancellationToken) ?? throw Unauthorized("invalid refresh token");
    }

    private async Task<Principal> LoginAsync(HttpRequest request, string user, string secret, CancellationToken cancellationToken)
    {
        request.HttpContext.Items[Audit.AuditService.ActorItem] = user;   // who a refused login claimed to be
        var (outcome, principal) = await authenticator.LoginAsync(user, secret, BasicCredentials.ClientAddress(request), cancellationToken);
        return outcome switch
        {
            LoginOutcome.Success => principal!,
            LoginOutcome.Throttled => throw new RegistryException(OciErrorCode.TooManyRequests, "too many failed logins; try again later")
                .WithHeader("Retry-After", ((int)_options.FailureWindow.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
            _ => throw Unauthorized("invalid user name or password"),
        };
    }

    private void CheckService(string? service)
    {
        if (!string.IsNullOrEmpty(service) && service != _options.Service)
        {
            throw new RegistryException(OciErrorCode.Unsupported, "unknown service", status: 400);
        }
    }

    private static RegistryException Unauthorized(string message) =>
        new RegistryException(OciErrorCode.Unauthorized, message).WithHeader("WWW-Authenticate", "Basic realm=\"registry\"");
}
