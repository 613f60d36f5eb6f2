using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Registry.Health;

namespace Registry.Http;

/// <summary>
/// Health as DTR and load balancers ask for it, anonymous: <c>/_ping</c>, <c>/health</c>, <c>/load_balancer_status</c>
/// and the readiness path answer DTR's <c>{"Error", "Healthy"}</c>, 200 or 503, from a storage check kept a few
/// seconds; liveness answers 200 while the process serves; <c>/nginx_status</c> counts requests as nginx's stub status.
/// </summary>
public sealed class HealthEndpoints(HealthService health, RequestMeter meter)
{
    /// <summary>Ready: storage answers (200), or not (503 with the reason).</summary>
    public async Task<IActionResult> GetHealthAsync()
    {
        var report = await health.CheckAsync();
        return HttpResult.Json(report.Healthy ? 200 : 503, new Dictionary<string, object> { ["Error"] = report.Error, ["Healthy"] = report.Healthy })
            .WithHeader("Cache-Control", "no-store");
    }

    /// <summary>Alive: the process serves requests, whatever storage does.</summary>
    public IActionResult GetLiveness() =>
        HttpResult.Json(200, new Dictionary<string, object> { ["Error"] = "", ["Healthy"] = true }).WithHeader("Cache-Control", "no-store");

    /// <summary>Requests in flight and served, in the text of nginx's stub_status (which DTR's <c>/nginx_status</c> served).</summary>
    public IActionResult GetRequestStatus()
    {
        var (inFlight, total) = (meter.InFlight, meter.Total);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"Active connections: {inFlight}\nserver accepts handled requests\n {total} {total} {total}\nReading: 0 Writing: {inFlight} Waiting: 0\n");
        return HttpResult.Empty(200).WithBody(Encoding.ASCII.GetBytes(text), "text/plain").WithHeader("Cache-Control", "no-store");
    }
}
