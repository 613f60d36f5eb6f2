using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Stores;
using Registry.Telemetry;

namespace Registry.Http;

/// <summary>
/// What every API request reports: a span (<c>&lt;api&gt; &lt;route&gt;</c>), the request metrics of
/// <see cref="RegistryTelemetry"/> by the route the dispatcher matched (status, duration, bytes in and out, storage
/// calls), the audit entry of a change or a refused login (<see cref="Audit.AuditService"/>), the count of the request
/// itself (<see cref="RequestMeter"/>), and, with <c>Registry:CountStorageCalls</c>,
/// its storage calls in the <c>X-Registry-Storage-Calls</c> header (for tests, cost estimates and operators; off by default).
/// </summary>
public sealed class RequestReport(IOptions<RegistryOptions> options, RequestMeter meter, Audit.AuditService audit)
{
    public const string Header = "X-Registry-Storage-Calls";

    private readonly bool _enabled = options.Value.CountStorageCalls;

    /// <summary>Serves one request of <paramref name="api"/> (v2, token, api, enzi) with a count of its own.</summary>
    public async Task<IActionResult> ServeAsync(HttpRequest request, string api, Func<Task<IActionResult>> serve)
    {
        using var activity = RegistryTelemetry.Source.StartActivity(api, ActivityKind.Server);
        var watch = Stopwatch.StartNew();
        var count = StorageCallCount.Begin();
        var result = await meter.MeasureAsync(serve);
        var answer = result as HttpResult;
        if (_enabled && answer is not null)
        {
            answer.WithHeader(Header, count.ToString());
        }

        var route = request.HttpContext.Items[RegistryTelemetry.RouteItem] as string ?? "unmatched";
        var status = answer?.Status ?? 200;
        if (activity is not null)
        {
            activity.DisplayName = $"{api} {route}";
            activity.SetTag("http.request.method", request.Method);
            activity.SetTag("http.route", route);
            activity.SetTag("http.response.status_code", status);
        }

        var items = request.HttpContext.Items;
        var presentedCredentials = request.Headers.Authorization.Count > 0 || (api == "token" && request.Method == "POST");
        if (Audit.AuditService.IsAudited(api, route, request.Method, status, presentedCredentials))
        {
            audit.Record(items[Audit.AuditService.ActorItem] as string ?? "", $"{api} {route}", request.Method, request.Path.Value ?? "",
                items[Audit.AuditService.RepositoryItem] as string, status, Auth.BasicCredentials.ClientAddress(request));
        }

        RegistryTelemetry.RecordRequest(api, route, status, watch.Elapsed, request.ContentLength ?? 0, answer?.ContentLength ?? 0, count.Total);
        return result;
    }
}
