using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Registry.Dtr;
using Registry.Http;

namespace Registry.Functions;

/// <summary>
/// The HTTP surface. One catch-all trigger per API surface; the route table inside the dispatcher does the rest
/// (repository names contain '/', which Functions route templates cannot express). Each request's storage calls are
/// counted (<see cref="StorageCallReport"/>).
/// </summary>
public sealed class HttpFunctions(RegistryDispatcher dispatcher, TokenEndpoint tokenEndpoint, DtrDispatcher api, StorageCallReport calls)
{
    /// <summary>The OCI Distribution API: every method under /v2/.</summary>
    [Function(nameof(ServeDistributionApi))]
    public Task<IActionResult> ServeDistributionApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = "v2/{*path}")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(() => dispatcher.DispatchAsync(request, cancellationToken));

    /// <summary>The token endpoint of Docker registry token authentication (GET) and its OAuth2 form (POST).</summary>
    [Function(nameof(IssueToken))]
    public Task<IActionResult> IssueToken(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "auth/token")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(() => tokenEndpoint.IssueTokenAsync(request, cancellationToken));

    /// <summary>DTR's repository API.</summary>
    [Function(nameof(ServeRepositoryApi))]
    public Task<IActionResult> ServeRepositoryApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "api/v0/{*path}")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(() => api.DispatchAsync(request, cancellationToken));

    /// <summary>The accounts API (users, organizations, teams) in the shape of UCP's eNZi, which DTR serves.</summary>
    [Function(nameof(ServeAccountsApi))]
    public Task<IActionResult> ServeAccountsApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "enzi/v0/{*path}")] HttpRequest request,
        CancellationToken cancellationToken) =>
        calls.ServeAsync(() => api.DispatchAsync(request, cancellationToken));
}
