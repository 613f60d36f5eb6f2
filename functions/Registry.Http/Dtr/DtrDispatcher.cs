using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Auth;
using Registry.Http;
using Registry.Options;

namespace Registry.Dtr;

/// <summary>A request of /api/v0 or /enzi/v0 after routing and authentication.</summary>
public sealed record DtrRequest(HttpRequest Http, Principal Principal, GroupCollection Route)
{
    /// <summary>Path parts given as eNZi's <c>id:&lt;uuid&gt;</c>, by the name they resolved to.</summary>
    public IReadOnlyDictionary<string, string> Resolved { get; init; } = new Dictionary<string, string>();

    public string this[string group] => Resolved.TryGetValue(group, out var name) ? name : Route[group].Value;

    public string? Query(string key) => Http.Query[key].Count > 0 && !string.IsNullOrEmpty(Http.Query[key][0]) ? Http.Query[key][0] : null;

    /// <summary>A true/false query parameter (<paramref name="fallback"/> when absent); INVALID_PARAMETER otherwise.</summary>
    public bool Flag(string key, bool fallback) => Query(key) switch
    {
        null => fallback,
        var text when bool.TryParse(text, out var value) => value,
        _ => throw new DtrException(DtrError.InvalidParameter, $"{key} must be true or false"),
    };

    /// <summary>The page size of <paramref name="key"/> (default <paramref name="fallback"/>, 1 to 1000).</summary>
    public int PageSize(string key, int fallback)
    {
        if (Query(key) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= 1000
            ? size
            : throw new DtrException(DtrError.InvalidParameter, $"{key} must be 1 to 1000");
    }

    /// <summary>An uploaded file: the <paramref name="field"/> part of a multipart form, or else the body itself.</summary>
    public async Task<Stream?> FileOrBodyAsync(string field, CancellationToken cancellationToken)
    {
        if (!(Http.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return Http.Body;
        }

        try
        {
            return (await Http.ReadFormAsync(cancellationToken)).Files[field]?.OpenReadStream();
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new DtrException(DtrError.InvalidParameter, "the multipart form cannot be read");
        }
    }

    /// <summary>Largest request body of these APIs.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Reads the JSON body (at most <see cref="MaxBodyBytes"/>) as <typeparamref name="T"/>; INVALID_JSON when it is not.</summary>
    public async Task<T> BodyAsync<T>(CancellationToken cancellationToken)
    {
        var body = await RequestBodies.ReadAtMostAsync(Http.Body, MaxBodyBytes, cancellationToken)
            ?? throw new DtrException(DtrError.InvalidJson, $"the body is larger than {MaxBodyBytes} bytes");
        try
        {
            return JsonSerializer.Deserialize<T>(body.Span)
                ?? throw new DtrException(DtrError.InvalidJson, "a JSON object is required");
        }
        catch (JsonException)
        {
            throw new DtrException(DtrError.InvalidJson, "the body is not valid JSON of this request");
        }
    }
}

/// <summary>Who may call a route at all; what the resource itself allows (a repository, an organization) its service decides.</summary>
public enum Caller
{
    /// <summary>Anyone, anonymous included.</summary>
    Anyone,

    /// <summary>A signed-in user (password or personal access token).</summary>
    User,

    /// <summary>A user signed in with the password, not a personal access token.</summary>
    Password,

    /// <summary>A system administrator.</summary>
    Admin,

    /// <summary>
    /// Anyone, and a bearer token of the registry's own is taken as well as Basic credentials: what Docker's daemon sends
    /// to <c>/v1/search</c> once it has signed in to the registry (its token, not the user's password).
    /// </summary>
    RegistryClient,
}

/// <summary>One route of /api/v0 or /enzi/v0: method, path pattern, who may call it, and its handler.</summary>
public sealed record DtrRoute(string Method, Regex Pattern, Caller Caller, Func<DtrRequest, CancellationToken, Task<HttpResult>> Handle);

/// <summary>
/// The entry of /api/v0 (repositories, tags, team access, tokens), /enzi/v0 (accounts, organizations, teams) and
/// Docker's /v1/search for both hosts: one route table, Basic authentication (password or personal access token;
/// none = anonymous; on /v1/search also the registry's bearer token),
/// inside the skeleton every API shares (<see cref="ApiEntry"/>), answering in DTR's error shape.
/// </summary>
public sealed class DtrDispatcher : ApiEntry
{
    private readonly List<DtrRoute> _routes;
    private readonly Authenticator _authenticator;
    private readonly TokenService _tokens;
    private readonly AccountService _accounts;
    private readonly bool _authEnabled;

    public DtrDispatcher(
        DtrHandlers h, AccountService accounts, Authenticator authenticator, TokenService tokens, IOptions<AuthOptions> options, ILogger<DtrDispatcher> logger)
        : base(logger)
    {
        _authenticator = authenticator;
        _tokens = tokens;
        _accounts = accounts;
        _authEnabled = options.Value.Enabled;
        const string Ns = "(?<ns>[^/]+)";
        const string Repo = "(?<repo>[^/]+)";
        const string Team = "(?<team>[^/]+)";
        const string User = "(?<user>[^/]+)";
        const string MirroringKind = "(?<kind>push|poll)";   // MirroringPolicy.Push and .Poll
        _routes =
        [
            new("GET", Route("/api/v0/repositories"), Caller.Anyone, h.ListRepositoriesAsync),
            new("POST", Route("/api/v0/repositories/scan/toggle"), Caller.Admin, h.ToggleScanOnPushAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}"), Caller.Anyone, h.ListRepositoriesAsync),
            new("POST", Route($"/api/v0/repositories/{Ns}"), Caller.Anyone, h.CreateRepositoryAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}"), Caller.Anyone, h.GetRepositoryAsync),
            new("PATCH", Route($"/api/v0/repositories/{Ns}/{Repo}"), Caller.Anyone, h.UpdateRepositoryAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}"), Caller.Anyone, h.DeleteRepositoryAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/tags"), Caller.Anyone, h.ListTagsAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/tags/(?<tag>[^/]+)"), Caller.Anyone, h.GetTagAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/tags/(?<tag>[^/]+)"), Caller.Anyone, h.DeleteTagAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/manifests"), Caller.Anyone, h.ListManifestsAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/manifests/(?<reference>[^/]+)"), Caller.Anyone, h.DeleteManifestAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies"), Caller.Anyone, h.ListPruningPoliciesAsync),
            new("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies"), Caller.Anyone, h.CreatePruningPolicyAsync),
            new("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies/test"), Caller.Anyone, h.TestPruningPolicyAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies/(?<id>[^/]+)"), Caller.Anyone, h.GetPruningPolicyAsync),
            new("PUT", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies/(?<id>[^/]+)"), Caller.Anyone, h.UpdatePruningPolicyAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies/(?<id>[^/]+)"), Caller.Anyone, h.DeletePruningPolicyAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies"), Caller.Anyone, h.ListPromotionPoliciesAsync),
            new("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies"), Caller.Anyone, h.CreatePromotionPolicyAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies/(?<id>[^/]+)"), Caller.Anyone, h.GetPromotionPolicyAsync),
            new("PUT", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies/(?<id>[^/]+)"), Caller.Anyone, h.UpdatePromotionPolicyAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies/(?<id>[^/]+)"), Caller.Anyone, h.DeletePromotionPolicyAsync),
            new("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/tags/(?<tag>[^/]+)/promotion"), Caller.Anyone, h.PromoteTagAsync),
            new("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/tags/(?<tag>[^/]+)/pushMirroring"), Caller.User, h.PushMirrorTagAsync),
            new("POST", Route("/api/v0/remote/registry"), Caller.User, h.CheckRemoteRegistryAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/{MirroringKind}MirroringPolicies"), Caller.User, h.ListMirroringPoliciesAsync),
            new("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/{MirroringKind}MirroringPolicies"), Caller.User, h.CreateMirroringPolicyAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/{MirroringKind}MirroringPolicies/(?<id>[^/]+)"), Caller.User, h.GetMirroringPolicyAsync),
            new("PUT", Route($"/api/v0/repositories/{Ns}/{Repo}/{MirroringKind}MirroringPolicies/(?<id>[^/]+)"), Caller.User, h.UpdateMirroringPolicyAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/{MirroringKind}MirroringPolicies/(?<id>[^/]+)"), Caller.User, h.DeleteMirroringPolicyAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/mirroringPolicies"), Caller.User, h.ListAllMirroringPoliciesAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/mirroringPolicies"), Caller.User, h.DeleteMirroringPoliciesAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/signingPolicies"), Caller.Anyone, h.ListSigningPoliciesAsync),
            new("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/signingPolicies"), Caller.Anyone, h.CreateSigningPolicyAsync),
            new("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/signingPolicies/test"), Caller.Anyone, h.TestSigningPolicyAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/signingPolicies/(?<id>[^/]+)"), Caller.Anyone, h.GetSigningPolicyAsync),
            new("PUT", Route($"/api/v0/repositories/{Ns}/{Repo}/signingPolicies/(?<id>[^/]+)"), Caller.Anyone, h.UpdateSigningPolicyAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/signingPolicies/(?<id>[^/]+)"), Caller.Anyone, h.DeleteSigningPolicyAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/trustPolicy"), Caller.Anyone, h.GetTrustPolicyAsync),
            new("PUT", Route($"/api/v0/repositories/{Ns}/{Repo}/trustPolicy"), Caller.Anyone, h.SetTrustPolicyAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/trustPolicy"), Caller.Anyone, h.DeleteTrustPolicyAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/manifests/(?<digest>[^/]+)/signatures"), Caller.Anyone, h.ListSignaturesAsync),
            new("GET", Route("/api/v0/signing/ca"), Caller.Anyone, h.GetSigningCertificateAuthorityAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/teamAccess"), Caller.Anyone, h.ListTeamAccessAsync),
            new("PUT", Route($"/api/v0/repositories/{Ns}/{Repo}/teamAccess/{Team}"), Caller.Anyone, h.SetTeamAccessAsync),
            new("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/teamAccess/{Team}"), Caller.Anyone, h.RemoveTeamAccessAsync),
            new("GET", Route($"/api/v0/repositoryNamespaces/{Ns}/teamAccess"), Caller.Anyone, h.ListNamespaceTeamAccessAsync),
            new("GET", Route($"/api/v0/repositoryNamespaces/{Ns}/teamAccess/{Team}"), Caller.Anyone, h.GetNamespaceTeamAccessAsync),
            new("PUT", Route($"/api/v0/repositoryNamespaces/{Ns}/teamAccess/{Team}"), Caller.Anyone, h.SetNamespaceTeamAccessAsync),
            new("DELETE", Route($"/api/v0/repositoryNamespaces/{Ns}/teamAccess/{Team}"), Caller.Anyone, h.RemoveNamespaceTeamAccessAsync),
            new("GET", Route($"/api/v0/repositoryNamespaces/{Ns}/trustPolicy"), Caller.Anyone, h.GetNamespaceTrustPolicyAsync),
            new("PUT", Route($"/api/v0/repositoryNamespaces/{Ns}/trustPolicy"), Caller.Anyone, h.SetNamespaceTrustPolicyAsync),
            new("DELETE", Route($"/api/v0/repositoryNamespaces/{Ns}/trustPolicy"), Caller.Anyone, h.DeleteNamespaceTrustPolicyAsync),
            new("POST", Route($"/api/v0/imagescan/scan/{Ns}/{Repo}/(?<reference>[^/]+)/(?<os>[^/]+)/(?<arch>[^/]+)"), Caller.Anyone, h.ScanImageAsync),
            new("POST", Route($"/api/v0/imagescan/scan/{Ns}/{Repo}/(?<reference>[^/]+)"), Caller.Anyone, h.ScanImageAsync),
            new("PUT", Route("/api/v0/imagescan/scan/update"), Caller.Admin, h.UpdateVulnerabilityDatabaseAsync),
            new("GET", Route($"/api/v0/imagescan/scansummary/repositories/{Ns}/{Repo}/(?<reference>[^/]+)"), Caller.Anyone, h.GetScanSummaryAsync),
            new("GET", Route($"/api/v0/imagescan/scansummary/repositories/{Ns}/{Repo}/(?<reference>[^/]+)/export"), Caller.Anyone, h.ExportScanSummaryAsync),
            new("GET", Route("/api/v0/imagescan/scansummary/(?<kind>cve|component|layer|license)/(?<value>.+)"), Caller.Anyone, h.FindScannedImagesAsync),
            new("POST", Route("/api/v0/imagescan/scansummary/tags"), Caller.Anyone, h.GetScanCountsAsync),
            new("GET", Route($"/api/v0/imagescan/repositories/{Ns}/{Repo}/(?<reference>[^/]+)"), Caller.Anyone, h.GetLegacyScanSummaryAsync),
            new("GET", Route("/api/v0/imagescan/status"), Caller.User, h.GetScannerStatusAsync),
            new("GET", Route("/api/v0/imagescan/layeroverride"), Caller.Admin, h.ListScanOverridesAsync),
            new("POST", Route("/api/v0/imagescan/layeroverride/(?<layer>[^/]+)"), Caller.Admin, h.AddScanOverrideAsync),
            new("DELETE", Route("/api/v0/imagescan/layeroverride/(?<id>[^/]+)"), Caller.Admin, h.DeleteScanOverrideAsync),
            new("GET", Route("/api/v0/meta/cluster_status"), Caller.Admin, h.GetClusterStatusAsync),
            new("GET", Route("/api/v0/meta/features"), Caller.User, h.GetFeaturesAsync),
            new("GET", Route("/api/v0/index/autocomplete"), Caller.User, h.AutocompleteAsync),
            new("GET", Route("/api/v0/index/dockersearch"), Caller.Anyone, h.SearchDockerAsync),
            new("GET", Route("/v1/search"), Caller.RegistryClient, h.SearchDockerAsync),
            new("GET", Route("/api/v0/meta/settings"), Caller.Admin, h.GetSettingsAsync),
            new("POST", Route("/api/v0/meta/settings"), Caller.Admin, h.UpdateSettingsAsync),
            new("GET", Route("/api/v0/meta/alerts"), Caller.Admin, h.ListAlertsAsync),
            new("GET", Route("/api/v0/audit"), Caller.Admin, h.ListAuditAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/activity"), Caller.Anyone, h.ListRepositoryActivityAsync),
            new("GET", Route("/api/v0/content_caches"), Caller.User, h.ListContentCachesAsync),
            new("POST", Route("/api/v0/content_caches"), Caller.Admin, h.CreateContentCacheAsync),
            new("GET", Route("/api/v0/content_caches/(?<id>[^/]+)"), Caller.User, h.GetContentCacheAsync),
            new("DELETE", Route("/api/v0/content_caches/(?<id>[^/]+)"), Caller.Admin, h.DeleteContentCacheAsync),
            new("GET", Route($"/api/v0/accounts/{User}/settings"), Caller.User, h.GetUserSettingsAsync),
            new("DELETE", Route($"/api/v0/accounts/{Ns}/repositories"), Caller.User, h.DeleteNamespaceRepositoriesAsync),
            new("GET", Route($"/api/v0/accounts/{User}/repositoryAccess/{Ns}/{Repo}"), Caller.User, h.GetUserRepositoryAccessAsync),
            new("GET", Route($"/api/v0/accounts/{Ns}/teams/{Team}/repositoryAccess"), Caller.User, h.ListTeamRepositoryAccessAsync),
            new("PATCH", Route($"/api/v0/accounts/{User}/settings"), Caller.User, h.UpdateUserSettingsAsync),
            new("POST", Route("/api/v0/webhooks"), Caller.User, h.CreateWebhookAsync),
            new("GET", Route("/api/v0/webhooks"), Caller.User, h.ListWebhooksAsync),
            new("POST", Route("/api/v0/webhooks/update"), Caller.User, h.UpdateWebhookAsync),
            new("POST", Route("/api/v0/webhooks/test"), Caller.User, h.TestWebhookAsync),
            new("DELETE", Route("/api/v0/webhooks/(?<id>[^/]+)"), Caller.User, h.DeleteWebhookAsync),
            new("GET", Route("/api/v0/webhooks/(?<id>[^/]+)/deliveries"), Caller.User, h.ListWebhookDeliveriesAsync),
            new("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/webhooks"), Caller.Anyone, h.ListRepositoryWebhooksAsync),
            new("GET", Route("/api/v0/crons"), Caller.Admin, h.ListCronsAsync),
            new("GET", Route("/api/v0/crons/(?<action>[^/]+)"), Caller.Admin, h.GetCronAsync),
            new("PUT", Route("/api/v0/crons/(?<action>[^/]+)"), Caller.Admin, h.UpdateCronAsync),
            new("POST", Route("/api/v0/jobs"), Caller.Admin, h.RunJobAsync),
            new("GET", Route("/api/v0/jobs"), Caller.Admin, h.ListJobsAsync),
            new("GET", Route("/api/v0/jobs/(?<id>[^/]+)"), Caller.Admin, h.GetJobAsync),
            new("DELETE", Route("/api/v0/jobs/(?<id>[^/]+)"), Caller.Admin, h.DeleteJobAsync),
            new("POST", Route("/api/v0/jobs/(?<id>[^/]+)/cancel"), Caller.Admin, h.CancelJobAsync),
            new("GET", Route("/api/v0/jobs/(?<id>[^/]+)/logs"), Caller.Admin, h.GetJobLogsAsync),
            new("POST", Route("/api/v0/api_tokens"), Caller.Password, h.CreateTokenAsync),
            new("GET", Route("/api/v0/api_tokens"), Caller.Password, h.ListTokensAsync),
            new("DELETE", Route("/api/v0/api_tokens"), Caller.Password, h.DeleteTokensAsync),
            new("GET", Route("/api/v0/api_tokens/(?<token>[^/]+)"), Caller.Password, h.GetTokenAsync),
            new("PATCH", Route("/api/v0/api_tokens/(?<token>[^/]+)"), Caller.Password, h.UpdateTokenAsync),
            new("DELETE", Route("/api/v0/api_tokens/(?<token>[^/]+)"), Caller.Password, h.RevokeTokenAsync),
            new("GET", Route("/enzi/v0/accounts"), Caller.User, h.ListAccountsAsync),
            new("POST", Route("/enzi/v0/accounts"), Caller.Admin, h.CreateAccountAsync),
            new("GET", Route($"/enzi/v0/accounts/{User}"), Caller.User, h.GetAccountAsync),
            new("PATCH", Route($"/enzi/v0/accounts/{User}"), Caller.Password, h.UpdateAccountAsync),
            new("DELETE", Route($"/enzi/v0/accounts/{User}"), Caller.Admin, h.DeleteAccountAsync),
            new("DELETE", Route($"/enzi/v0/accounts/{User}/sessions"), Caller.Password, h.RevokeSessionsAsync),
            new("GET", Route($"/enzi/v0/accounts/{Ns}/members"), Caller.User, h.ListOrgMembersAsync),
            new("PUT", Route($"/enzi/v0/accounts/{Ns}/members/{User}"), Caller.User, h.SetOrgMemberAsync),
            new("DELETE", Route($"/enzi/v0/accounts/{Ns}/members/{User}"), Caller.User, h.RemoveOrgMemberAsync),
            new("GET", Route($"/enzi/v0/accounts/{Ns}/teams"), Caller.User, h.ListTeamsAsync),
            new("POST", Route($"/enzi/v0/accounts/{Ns}/teams"), Caller.User, h.CreateTeamAsync),
            new("GET", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}"), Caller.User, h.GetTeamAsync),
            new("PATCH", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}"), Caller.User, h.UpdateTeamAsync),
            new("DELETE", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}"), Caller.User, h.DeleteTeamAsync),
            new("GET", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}/members"), Caller.User, h.ListTeamMembersAsync),
            new("PUT", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}/members/{User}"), Caller.User, h.SetTeamMemberAsync),
            new("DELETE", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}/members/{User}"), Caller.User, h.RemoveTeamMemberAsync),
        ];
    }

    public Task<IActionResult> DispatchAsync(HttpRequest request, CancellationToken cancellationToken = default) =>
        ServeAsync(request, async () =>
        {
            if (RequestTarget.IsAmbiguous(request))
            {
                throw new DtrException(DtrError.InvalidRepositoryName, "the path holds a dot segment or an encoded slash");
            }

            var path = (request.Path.Value ?? "").TrimEnd('/');
            var matches = _routes.Select(r => (r.Method, r.Caller, r.Handle, Match: r.Pattern.Match(path))).Where(r => r.Match.Success).ToList();
            if (matches.Count == 0)
            {
                throw new DtrException(DtrError.NotFound, "no such endpoint");
            }

            var route = matches.FirstOrDefault(r => r.Method == request.Method.ToUpperInvariant());
            request.HttpContext.Items[Telemetry.RegistryTelemetry.RouteItem] = route.Handle?.Method.Name.Replace("Async", "", StringComparison.Ordinal) ?? "method-not-allowed";
            if (route.Handle is null)
            {
                throw new DtrException(DtrError.MethodNotAllowed, $"{request.Method} is not allowed here");
            }

            if (route.Match.Groups["ns"].Success && route.Match.Groups["repo"].Success && route.Handle.Method.Name != nameof(DtrHandlers.DeleteRepositoryAsync))
            {
                // a deleted repository's log goes with it: its deletion is in the registry's log only
                request.HttpContext.Items[Audit.AuditService.RepositoryItem] = $"{route.Match.Groups["ns"].Value}/{route.Match.Groups["repo"].Value}";
            }

            var principal = await AuthenticateAsync(request, route.Caller == Caller.RegistryClient, cancellationToken);
            request.HttpContext.Items[Audit.AuditService.ActorItem] = principal.Name ?? "";
            Require(route.Caller, principal);
            return await route.Handle(new DtrRequest(request, principal, route.Match.Groups) { Resolved = await ResolveIdsAsync(route.Match.Groups, cancellationToken) }, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Who may call a route at all, before its handler looks at the resource: anonymous callers get NOT_AUTHENTICATED;
    /// a personal access token where the password is needed, or a user where a system administrator is, NOT_AUTHORIZED.
    /// </summary>
    public static void Require(Caller caller, Principal principal)
    {
        if (caller is Caller.Anyone or Caller.RegistryClient)
        {
            return;
        }

        if (principal.IsAnonymous)
        {
            throw new DtrException(DtrError.NotAuthenticated, "authentication required");
        }

        if (caller == Caller.Password && principal.ByAccessToken)
        {
            // Tokens, the password and account settings need the password, so that a leaked token cannot take the account over.
            throw new DtrException(DtrError.NotAuthorized, "a personal access token cannot do this; use the password");
        }

        if (caller == Caller.Admin && !principal.IsAdmin)
        {
            throw new DtrException(DtrError.NotAuthorized, "only a system administrator may do this");
        }
    }

    protected override HttpResult? Known(Exception exception) => exception is DtrException e ? Error(e) : null;

    /// <summary>DTR's shape for the shared failures: a body that could not be read is a bad parameter (400).</summary>
    protected override HttpResult Failure(ApiFailure failure, int status, string message) => failure switch
    {
        ApiFailure.BadBody => Error(new DtrException(DtrError.InvalidParameter, message)),
        ApiFailure.Unavailable => Error(new DtrException(DtrError.Unavailable, message)),
        _ => HttpResult.Json(status, new DtrErrorBody([new DtrErrorEntry("INTERNAL_ERROR", message)])),
    };

    public static HttpResult Error(DtrException e)
    {
        var result = HttpResult.Json(e.Status, new DtrErrorBody([new DtrErrorEntry(DtrErrors.Table[e.Error].Code, e.Message)]));
        return e.Error == DtrError.NotAuthenticated ? result.WithHeader("WWW-Authenticate", "Basic realm=\"registry\"") : result;
    }

    private async Task<Principal> AuthenticateAsync(HttpRequest request, bool bearer, CancellationToken cancellationToken)
    {
        if (!_authEnabled)
        {
            return Principal.System;
        }

        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return Principal.Anonymous;
        }

        if (bearer && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // the registry's token: its account must still be the one it was issued to, and active
            var token = await _tokens.ValidateAccessTokenAsync(header[7..].Trim(), cancellationToken)
                ?? throw new DtrException(DtrError.NotAuthenticated, "the bearer token is invalid or expired");
            return token.Subject.Length == 0 ? Principal.Anonymous
                : await _authenticator.FindActiveAsync(token.Subject, token.AccountId, cancellationToken)
                  ?? throw new DtrException(DtrError.NotAuthenticated, "the token's account is gone or inactive");
        }

        var (user, secret) = BasicCredentials.Parse(header) ?? throw new DtrException(DtrError.NotAuthenticated, "expected Basic credentials");
        request.HttpContext.Items[Audit.AuditService.ActorItem] = user;   // who a refused login claimed to be
        var (outcome, principal) = await _authenticator.LoginAsync(user, secret, BasicCredentials.ClientAddress(request), cancellationToken);
        return outcome switch
        {
            LoginOutcome.Success => principal!,
            LoginOutcome.Throttled => throw new DtrException(DtrError.TooManyRequests, "too many failed logins; try again later"),
            _ => throw new DtrException(DtrError.NotAuthenticated, "invalid user name, password or token"),
        };
    }

    /// <summary>
    /// eNZi's addressing by id: an account (<c>user</c>, <c>ns</c>) or team given as <c>id:&lt;uuid&gt;</c> is looked up
    /// and stands for its name (names cannot hold a colon, so the two never meet).
    /// </summary>
    private async Task<IReadOnlyDictionary<string, string>> ResolveIdsAsync(GroupCollection groups, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in new[] { "user", "ns" })
        {
            if (groups[group] is { Success: true } g && g.Value.StartsWith(IdPrefix, StringComparison.Ordinal))
            {
                resolved[group] = await _accounts.AccountNameOfIdAsync(g.Value[IdPrefix.Length..], cancellationToken);
            }
        }

        if (groups["team"] is { Success: true } team && team.Value.StartsWith(IdPrefix, StringComparison.Ordinal))
        {
            var org = resolved.TryGetValue("ns", out var name) ? name : groups["ns"].Value;
            resolved["team"] = await _accounts.TeamNameOfIdAsync(org, team.Value[IdPrefix.Length..], cancellationToken);
        }

        return resolved;
    }

    private const string IdPrefix = "id:";

    private static Regex Route(string pattern) => new($"^{pattern}$", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
}
