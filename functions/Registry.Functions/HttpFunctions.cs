using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Registry.Dtr;
using Registry.Http;

namespace Registry.Functions;

/// <summary>
/// The HTTP surface. One catch-all trigger per API surface; the route table inside the dispatcher does the rest
/// (repository names contain '/', which Functions route templates cannot express). Each request's storage calls are
/// reported (<see cref="RequestReport"/>: span, metrics, storage calls).
/// </summary>
public sealed class HttpFunctions(RegistryDispatcher dispatcher, TokenEndpoint tokenEndpoint, DtrDispatcher api, RequestReport calls, HealthEndpoints health)
{
    /// <summary>DTR's health check: <c>{"Error", "Healthy"}</c>, 200 or 503.</summary>
    [Function(nameof(Ping))]
    public Task<IActionResult> Ping(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "_ping")] HttpRequest request) => health.GetHealthAsync();

    /// <summary>The same check under DTR's other health path.</summary>
    [Function(nameof(Health))]
    public Task<IActionResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "health")] HttpRequest request) => health.GetHealthAsync();

    /// <summary>The same check where DTR's load balancers looked.</summary>
    [Function(nameof(LoadBalancerStatus))]
    public Task<IActionResult> LoadBalancerStatus(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "load_balancer_status")] HttpRequest request) => health.GetHealthAsync();

    /// <summary>Readiness for orchestrators: the same check.</summary>
    [Function(nameof(Ready))]
    public Task<IActionResult> Ready(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "readyz")] HttpRequest request) => health.GetHealthAsync();

    /// <summary>Liveness: 200 while the process serves, storage or not.</summary>
    [Function(nameof(Live))]
    public IActionResult Live(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "livez")] HttpRequest request) => health.GetLiveness();

    /// <summary>Requests in flight and served by this instance, as nginx's stub status.</summary>
    [Function(nameof(RequestStatus))]
    public IActionResult RequestStatus(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "nginx_status")] HttpRequest request) => health.GetRequestStatus();

    /// <summary>The OCI Distribution API: every method under /v2/.</summary>
    [Function(nameof(ServeDistributionApi))]
    public Task<IActionResult> ServeDistributionApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = "v2/{*path}")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(request, "v2", () => dispatcher.DispatchAsync(request, cancellationToken));

    /// <summary>The token endpoint of Docker registry token authentication (GET) and its OAuth2 form (POST).</summary>
    [Function(nameof(IssueToken))]
    public Task<IActionResult> IssueToken(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "auth/token")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(request, "token", () => tokenEndpoint.IssueTokenAsync(request, cancellationToken));

    /// <summary>The public keys that sign tokens, as a JSON Web Key Set (for services that validate this registry's tokens).</summary>
    [Function(nameof(GetTokenKeys))]
    public Task<IActionResult> GetTokenKeys(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "auth/jwks")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(request, "token", () => tokenEndpoint.GetKeysAsync(request, cancellationToken));

    /// <summary>DTR's repository API.</summary>
    [Function(nameof(ServeRepositoryApi))]
    public Task<IActionResult> ServeRepositoryApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "api/v0/{*path}")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(request, "api", () => api.DispatchAsync(request, cancellationToken));

    /// <summary>The accounts API (users, organizations, teams) in the shape of UCP's eNZi, which DTR serves.</summary>
    [Function(nameof(ServeAccountsApi))]
    public Task<IActionResult> ServeAccountsApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "enzi/v0/{*path}")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(request, "enzi", () => api.DispatchAsync(request, cancellationToken));

    /// <summary>What <c>docker search</c> asks a registry (its v1 search), answered as DTR's docker search.</summary>
    [Function(nameof(SearchRepositories))]
    public Task<IActionResult> SearchRepositories(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/search")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(request, "api", () => api.DispatchAsync(request, cancellationToken));
}
