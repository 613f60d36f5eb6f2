using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Registry.Http;

namespace Registry.Functions;

/// <summary>
/// The HTTP surface. One catch-all trigger per API surface; the route table inside the dispatcher does the rest
/// (repository names contain '/', which Functions route templates cannot express).
/// </summary>
public sealed class HttpFunctions(RegistryDispatcher dispatcher, TokenEndpoint tokenEndpoint)
{
    /// <summary>The OCI Distribution API: every method under /v2/.</summary>
    [Function(nameof(ServeDistributionApi))]
    public Task<IActionResult> ServeDistributionApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = "v2/{*path}")] HttpRequest request,
        CancellationToken cancellationToken) =>
        dispatcher.DispatchAsync(request, cancellationToken);

    /// <summary>The token endpoint of Docker registry token authentication (GET) and its OAuth2 form (POST).</summary>
    [Function(nameof(IssueToken))]
    public Task<IActionResult> IssueToken(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "auth/token")] HttpRequest request,
        CancellationToken cancellationToken) =>
        tokenEndpoint.IssueTokenAsync(request, cancellationToken);
}
