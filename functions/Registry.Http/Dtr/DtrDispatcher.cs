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
    public string this[string group] => Route[group].Value;

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

/// <summary>
/// The entry of /api/v0 (repositories, tags, team access, tokens) and /enzi/v0 (accounts, organizations, teams)
/// for both hosts: one route table, Basic authentication (password or personal access token; none = anonymous),
/// inside the skeleton every API shares (<see cref="ApiEntry"/>), answering in DTR's error shape.
/// </summary>
public sealed class DtrDispatcher : ApiEntry
{
    private readonly List<(string Method, Regex Pattern, Func<DtrRequest, CancellationToken, Task<HttpResult>> Handle)> _routes;
    private readonly Authenticator _authenticator;
    private readonly bool _authEnabled;

    public DtrDispatcher(DtrHandlers h, Authenticator authenticator, IOptions<AuthOptions> options, ILogger<DtrDispatcher> logger)
        : base(logger)
    {
        _authenticator = authenticator;
        _authEnabled = options.Value.Enabled;
        const string Ns = "(?<ns>[^/]+)";
        const string Repo = "(?<repo>[^/]+)";
        const string Team = "(?<team>[^/]+)";
        const string User = "(?<user>[^/]+)";
        _routes =
        [
            ("GET", Route("/api/v0/repositories"), h.ListRepositoriesAsync),
            ("GET", Route($"/api/v0/repositories/{Ns}"), h.ListRepositoriesAsync),
            ("POST", Route($"/api/v0/repositories/{Ns}"), h.CreateRepositoryAsync),
            ("GET", Route($"/api/v0/repositories/{Ns}/{Repo}"), h.GetRepositoryAsync),
            ("PATCH", Route($"/api/v0/repositories/{Ns}/{Repo}"), h.UpdateRepositoryAsync),
            ("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}"), h.DeleteRepositoryAsync),
            ("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/tags"), h.ListTagsAsync),
            ("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/tags/(?<tag>[^/]+)"), h.DeleteTagAsync),
            ("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies"), h.ListPruningPoliciesAsync),
            ("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies"), h.CreatePruningPolicyAsync),
            ("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies/test"), h.TestPruningPolicyAsync),
            ("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies/(?<id>[^/]+)"), h.GetPruningPolicyAsync),
            ("PUT", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies/(?<id>[^/]+)"), h.UpdatePruningPolicyAsync),
            ("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/pruningPolicies/(?<id>[^/]+)"), h.DeletePruningPolicyAsync),
            ("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies"), h.ListPromotionPoliciesAsync),
            ("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies"), h.CreatePromotionPolicyAsync),
            ("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies/(?<id>[^/]+)"), h.GetPromotionPolicyAsync),
            ("PUT", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies/(?<id>[^/]+)"), h.UpdatePromotionPolicyAsync),
            ("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/promotionPolicies/(?<id>[^/]+)"), h.DeletePromotionPolicyAsync),
            ("POST", Route($"/api/v0/repositories/{Ns}/{Repo}/tags/(?<tag>[^/]+)/promotion"), h.PromoteTagAsync),
            ("GET", Route($"/api/v0/repositories/{Ns}/{Repo}/teamAccess"), h.ListTeamAccessAsync),
            ("PUT", Route($"/api/v0/repositories/{Ns}/{Repo}/teamAccess/{Team}"), h.SetTeamAccessAsync),
            ("DELETE", Route($"/api/v0/repositories/{Ns}/{Repo}/teamAccess/{Team}"), h.RemoveTeamAccessAsync),
            ("GET", Route($"/api/v0/repositoryNamespaces/{Ns}/teamAccess"), h.ListNamespaceTeamAccessAsync),
            ("PUT", Route($"/api/v0/repositoryNamespaces/{Ns}/teamAccess/{Team}"), h.SetNamespaceTeamAccessAsync),
            ("DELETE", Route($"/api/v0/repositoryNamespaces/{Ns}/teamAccess/{Team}"), h.RemoveNamespaceTeamAccessAsync),
            ("POST", Route($"/api/v0/imagescan/scan/{Ns}/{Repo}/(?<reference>[^/]+)/(?<os>[^/]+)/(?<arch>[^/]+)"), h.ScanImageAsync),
            ("POST", Route($"/api/v0/imagescan/scan/{Ns}/{Repo}/(?<reference>[^/]+)"), h.ScanImageAsync),
            ("PUT", Route("/api/v0/imagescan/scan/update"), h.UpdateVulnerabilityDatabaseAsync),
            ("GET", Route($"/api/v0/imagescan/scansummary/repositories/{Ns}/{Repo}/(?<reference>[^/]+)"), h.GetScanSummaryAsync),
            ("POST", Route("/api/v0/imagescan/scansummary/tags"), h.GetScanCountsAsync),
            ("GET", Route($"/api/v0/imagescan/repositories/{Ns}/{Repo}/(?<reference>[^/]+)"), h.GetLegacyScanSummaryAsync),
            ("GET", Route("/api/v0/imagescan/status"), h.GetScannerStatusAsync),
            ("GET", Route("/api/v0/imagescan/layeroverride"), h.ListScanOverridesAsync),
            ("POST", Route("/api/v0/imagescan/layeroverride/(?<layer>[^/]+)"), h.AddScanOverrideAsync),
            ("DELETE", Route("/api/v0/imagescan/layeroverride/(?<id>[^/]+)"), h.DeleteScanOverrideAsync),
            ("GET", Route("/api/v0/crons"), h.ListCronsAsync),
            ("GET", Route("/api/v0/crons/(?<action>[^/]+)"), h.GetCronAsync),
            ("PUT", Route("/api/v0/crons/(?<action>[^/]+)"), h.UpdateCronAsync),
            ("POST", Route("/api/v0/jobs"), h.RunJobAsync),
            ("POST", Route("/api/v0/api_tokens"), h.CreateTokenAsync),
            ("GET", Route("/api/v0/api_tokens"), h.ListTokensAsync),
            ("PATCH", Route("/api/v0/api_tokens/(?<token>[^/]+)"), h.UpdateTokenAsync),
            ("DELETE", Route("/api/v0/api_tokens/(?<token>[^/]+)"), h.RevokeTokenAsync),
            ("GET", Route("/enzi/v0/accounts"), h.ListAccountsAsync),
            ("POST", Route("/enzi/v0/accounts"), h.CreateAccountAsync),
            ("GET", Route($"/enzi/v0/accounts/{User}"), h.GetAccountAsync),
            ("PATCH", Route($"/enzi/v0/accounts/{User}"), h.UpdateAccountAsync),
            ("DELETE", Route($"/enzi/v0/accounts/{User}"), h.DeleteAccountAsync),
            ("DELETE", Route($"/enzi/v0/accounts/{User}/sessions"), h.RevokeSessionsAsync),
            ("GET", Route($"/enzi/v0/accounts/{Ns}/members"), h.ListOrgMembersAsync),
            ("PUT", Route($"/enzi/v0/accounts/{Ns}/members/{User}"), h.SetOrgMemberAsync),
            ("DELETE", Route($"/enzi/v0/accounts/{Ns}/members/{User}"), h.RemoveOrgMemberAsync),
            ("GET", Route($"/enzi/v0/accounts/{Ns}/teams"), h.ListTeamsAsync),
            ("POST", Route($"/enzi/v0/accounts/{Ns}/teams"), h.CreateTeamAsync),
            ("GET", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}"), h.GetTeamAsync),
            ("DELETE", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}"), h.DeleteTeamAsync),
            ("GET", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}/members"), h.ListTeamMembersAsync),
            ("PUT", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}/members/{User}"), h.SetTeamMemberAsync),
            ("DELETE", Route($"/enzi/v0/accounts/{Ns}/teams/{Team}/members/{User}"), h.RemoveTeamMemberAsync),
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
            var matches = _routes.Select(r => (r.Method, r.Handle, Match: r.Pattern.Match(path))).Where(r => r.Match.Success).ToList();
            if (matches.Count == 0)
            {
                throw new DtrException(DtrError.NotFound, "no such endpoint");
            }

            var route = matches.FirstOrDefault(r => r.Method == request.Method.ToUpperInvariant());
            if (route.Handle is null)
            {
                throw new DtrException(DtrError.MethodNotAllowed, $"{request.Method} is not allowed here");
            }

            var principal = await AuthenticateAsync(request, cancellationToken);
            return await route.Handle(new DtrRequest(request, principal, route.Match.Groups), cancellationToken);
        }, cancellationToken);

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

    private async Task<Principal> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
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

        var (user, secret) = BasicCredentials.Parse(header) ?? throw new DtrException(DtrError.NotAuthenticated, "expected Basic credentials");
        var (outcome, principal) = await _authenticator.LoginAsync(user, secret, BasicCredentials.ClientAddress(request), cancellationToken);
        return outcome switch
        {
            LoginOutcome.Success => principal!,
            LoginOutcome.Throttled => throw new DtrException(DtrError.TooManyRequests, "too many failed logins; try again later"),
            _ => throw new DtrException(DtrError.NotAuthenticated, "invalid user name, password or token"),
        };
    }

    private static Regex Route(string pattern) => new($"^{pattern}$", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
}
