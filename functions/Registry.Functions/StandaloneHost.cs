using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Registry.Options;
using Registry.Storage;

namespace Registry.Functions;

/// <summary>
/// The standalone host: the same function classes on Kestrel, for local use, tests and benchmarks.
/// It maps each HTTP trigger's route to the function method and holds no registry logic of its own.
/// </summary>
public static class StandaloneHost
{
    /// <summary>Loopback only, IPv4 and IPv6: clients may say localhost:5000 or 127.0.0.1:5000.</summary>
    public const string DefaultUrl = "http://localhost:5000";

    /// <summary>
    /// Azurite's well-known development account (public, not a secret), used when no storage is configured.
    /// Blob URLs say "localhost" so that clients see a host name other than the registry's 127.0.0.1 and do not
    /// forward credentials on a redirect to storage.
    /// </summary>
    public const string AzuriteConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        "BlobEndpoint=http://localhost:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;" +
        "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    public static void Run(string[] args)
    {
        // The app's own folder is its content root, and configuration (settings come from the environment) is read once:
        // watching files for changes costs start-up time and serves nothing here.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [.. args, "--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (string.IsNullOrEmpty(builder.Configuration["Registry:Storage:ConnectionString"])
            && string.IsNullOrEmpty(builder.Configuration["Registry:Storage:BlobServiceUri"]))
        {
            builder.Configuration["Registry:Storage:ConnectionString"] = AzuriteConnectionString;
        }

        // HTTPS (and HTTP beside it) from Kestrel's own configuration: Kestrel:Endpoints:<name>:Url with a certificate as
        // PEM (Certificate:Path and Certificate:KeyPath) or PFX (Certificate:Path and Certificate:Password).
        builder.WebHost.UseKestrelHttpsConfiguration();
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"])
            && !builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.AddAzureStorage();
        builder.AddRegistry();
        builder.AddAzureMonitorExport();
        builder.Services.AddTransient<HttpFunctions>();
        builder.Services.AddTransient<TimerFunctions>();
        builder.Services.AddHostedService<StandaloneTimers>();
        builder.Services.AddTransient<QueueFunctions>();
        // The queue triggers' stand-ins: the same queues, host.json's settings, the same function methods. (Registered
        // as IHostedService: AddHostedService keeps one service per implementation type, and both are QueuePollers.)
        var polling = QueueTriggerSettings.Read(AppContext.BaseDirectory);
        void Poll(Func<IServiceProvider, string> queue, Func<QueueFunctions, string, CancellationToken, Task> function) =>
            builder.Services.AddSingleton<IHostedService>(sp => new QueuePoller(
                sp.GetRequiredService<StorageClients>(), queue(sp), polling,
                (message, ct) => function(sp.GetRequiredService<QueueFunctions>(), message, ct),
                sp.GetRequiredService<ILogger<QueuePoller>>()));
        Poll(sp => sp.GetRequiredService<IOptions<ScanOptions>>().Value.Queue, (f, message, ct) => f.ScanImage(message, ct));
        Poll(sp => sp.GetRequiredService<IOptions<SigningOptions>>().Value.Queue, (f, message, ct) => f.SignImage(message, ct));
        Poll(sp => sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Queue, (f, message, ct) => f.DeliverWebhook(message, ct));
        Poll(sp => sp.GetRequiredService<IOptions<MirroringOptions>>().Value.Queue, (f, message, ct) => f.MirrorRepository(message, ct));

        var prometheus = string.Equals(builder.Configuration["Registry:Telemetry:Prometheus"], "true", StringComparison.OrdinalIgnoreCase);
        if (prometheus)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddPrometheusExporter());
        }

        var app = builder.Build();
        // As the Functions worker does in front of its function endpoints.
        app.UseForwardedHeaders();
        if (prometheus)
        {
            // The metrics as Prometheus text, for a scraper that sends the configured bearer token.
            app.UseWhen(c => c.Request.Path.Equals(MetricsPath, StringComparison.Ordinal), metrics =>
            {
                metrics.Use(RequireScrapeTokenAsync);
                metrics.UseOpenTelemetryPrometheusScrapingEndpoint(MetricsPath);
            });
        }
        // The route of the HTTP trigger, v2/{*path}; matched by prefix so that even malformed paths
        // (empty segments) reach the dispatcher and get an OCI error.
        app.MapWhen(c => c.Request.Path.StartsWithSegments("/v2", StringComparison.Ordinal), v2 => v2.Run(ServeAsync));
        app.MapWhen(c => c.Request.Path.Equals("/auth/token", StringComparison.Ordinal), auth => auth.Run(IssueTokenAsync));
        app.MapWhen(c => c.Request.Path.Equals("/auth/jwks", StringComparison.Ordinal), auth => auth.Run(GetTokenKeysAsync));
        app.MapWhen(c => c.Request.Path.StartsWithSegments("/api/v0", StringComparison.Ordinal), api => api.Run(ServeRepositoryApiAsync));
        app.MapWhen(c => c.Request.Path.StartsWithSegments("/enzi/v0", StringComparison.Ordinal), api => api.Run(ServeAccountsApiAsync));
        Map("/v1/search", (f, r) => f.SearchRepositories(r, r.HttpContext.RequestAborted));
        // the health triggers' routes, each a literal path
        Map("/_ping", (f, r) => f.Ping(r));
        Map("/health", (f, r) => f.Health(r));
        Map("/load_balancer_status", (f, r) => f.LoadBalancerStatus(r));
        Map("/readyz", (f, r) => f.Ready(r));
        Map("/livez", (f, r) => Task.FromResult(f.Live(r)));
        Map("/nginx_status", (f, r) => Task.FromResult(f.RequestStatus(r)));
        app.Run();

        void Map(string path, Func<HttpFunctions, HttpRequest, Task<IActionResult>> function) =>
            app.MapWhen(c => c.Request.Path.Equals(path, StringComparison.Ordinal), branch => branch.Run(c => ServeHealthAsync(c, function)));
    }

    private const string MetricsPath = "/metrics";

    /// <summary>Lets a scrape through only with <c>Authorization: Bearer &lt;Registry:Telemetry:PrometheusToken&gt;</c> (compared in constant time).</summary>
    private static Task RequireScrapeTokenAsync(HttpContext context, Func<Task> next)
    {
        var expected = context.RequestServices.GetRequiredService<IOptions<TelemetryOptions>>().Value.PrometheusToken ?? "";
        var header = context.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        if (expected.Length > 0 && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(given)),
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(expected))))
        {
            return next();
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"metrics\"";
        return Task.CompletedTask;
    }

    private static Task ServeAsync(HttpContext context) =>
        RunAsync(context, f => f.ServeDistributionApi(context.Request, context.RequestAborted));

    private static Task ServeRepositoryApiAsync(HttpContext context) =>
        RunAsync(context, f => f.ServeRepositoryApi(context.Request, context.RequestAborted));

    private static Task ServeAccountsApiAsync(HttpContext context) =>
        RunAsync(context, f => f.ServeAccountsApi(context.Request, context.RequestAborted));

    private static Task IssueTokenAsync(HttpContext context) =>
        RunAsync(context, f => f.IssueToken(context.Request, context.RequestAborted));

    private static Task GetTokenKeysAsync(HttpContext context) =>
        RunAsync(context, f => f.GetTokenKeys(context.Request, context.RequestAborted));

    private static Task ServeHealthAsync(HttpContext context, Func<HttpFunctions, HttpRequest, Task<IActionResult>> function) =>
        RunAsync(context, f => function(f, context.Request));

    /// <summary>Calls one function method and executes its result, as the Functions host does.</summary>
    private static async Task RunAsync(HttpContext context, Func<HttpFunctions, Task<IActionResult>> function)
    {
        var result = await function(context.RequestServices.GetRequiredService<HttpFunctions>());
        await result.ExecuteResultAsync(new ActionContext { HttpContext = context });
    }
}
