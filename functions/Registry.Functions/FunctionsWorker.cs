using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Registry.Storage;

namespace Registry.Functions;

/// <summary>
/// The Function App's worker, as the Functions host launches it. Apart from the standalone host so that a standalone
/// start loads none of the worker's or Application Insights' assemblies.
/// </summary>
public static class FunctionsWorker
{
    public static void Run(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        if (BindingSettings.FindMissing(builder.Configuration) is { } missing)
        {
            Console.Error.WriteLine(missing);
            Environment.ExitCode = 1;
            return;
        }

        builder.ConfigureFunctionsWebApplication();
        builder.Services.AddApplicationInsightsTelemetryWorkerService().ConfigureFunctionsApplicationInsights();
        builder.AddAzureStorage();
        builder.AddRegistry();
        builder.AddAzureMonitorExport();
        // The Functions host forwards every HTTP request to this worker from loopback, with the X-Forwarded-* of the caller it saw.
        builder.Services.PostConfigure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.All;
            o.KnownProxies.Add(IPAddress.Loopback);
            o.KnownProxies.Add(IPAddress.IPv6Loopback);
        });
        builder.Build().Run();
    }
}
