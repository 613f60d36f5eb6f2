using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Registry;
using Registry.Functions;
using Registry.Storage;

// The Functions host always starts its worker with --functions-uri (and the native host sets an AppContext key);
// anything else is a user starting the executable: run the standalone host.
var underFunctionsHost = args.Any(a => a.StartsWith("--functions-uri", StringComparison.Ordinal))
    || AppContext.GetData("AZURE_FUNCTIONS_NATIVE_HOST") is not null;
if (!underFunctionsHost)
{
    StandaloneHost.Run(args);
    return;
}

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
// The Functions host forwards every HTTP request to this worker from loopback, with the X-Forwarded-* of the caller it saw.
builder.Services.PostConfigure<ForwardedHeadersOptions>(o =>
{
    o.ForwardedHeaders = ForwardedHeaders.All;
    o.KnownProxies.Add(IPAddress.Loopback);
    o.KnownProxies.Add(IPAddress.IPv6Loopback);
});
builder.Build().Run();
