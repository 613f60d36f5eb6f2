using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Registry.FunctionsHost;

// A stand-in for the Azure Functions host, for tests: the real host (Core Tools) cannot be installed here.
//   dotnet Registry.FunctionsHost.dll --app <the built Function App directory> [--urls http://127.0.0.1:7071] [--record FILE]
//   dotnet Registry.FunctionsHost.dll --forward <a registry's address> --urls ... --record FILE
// App settings are environment variables, as in Azure; the worker inherits them. FUNCTIONS_REQUEST_BODY_SIZE_LIMIT
// caps request bodies as the Functions front end does (default 104857600 bytes). --record writes one line per
// answer (see AnswerLog); --forward starts no worker and only forwards and records, to compare another host.
var builder = WebApplication.CreateSlimBuilder(args);
var forward = builder.Configuration["forward"];
var app = builder.Configuration["app"];
if ((app is null) == (forward is null))
{
    Console.Error.WriteLine("usage: --app <directory of the built Function App> | --forward <registry address>, with --urls and --record FILE");
    return 2;
}

if (app is not null)
{
    builder.Configuration["AzureWebJobsScriptRoot"] = Path.GetFullPath(app);
}
var publicUri = new Uri(builder.Configuration["urls"] ?? "http://127.0.0.1:7071");
var grpcPort = FreePort();
// A forwarder adds no limit of its own; the Functions front end's is FUNCTIONS_REQUEST_BODY_SIZE_LIMIT.
long? bodyLimit = forward is not null ? null
    : long.TryParse(builder.Configuration["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"], out var limit) ? limit : 104_857_600;
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = bodyLimit;
    k.Listen(IPAddress.Parse(publicUri.Host == "localhost" ? "127.0.0.1" : publicUri.Host), publicUri.Port, l => l.Protocols = HttpProtocols.Http1);
    k.Listen(IPAddress.Loopback, grpcPort, l => l.Protocols = HttpProtocols.Http2);
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning);
builder.Services.AddGrpc(o =>
{
    o.MaxReceiveMessageSize = null;
    o.MaxSendMessageSize = null;
});
builder.Services.AddHttpForwarder();
builder.Services.AddSingleton<WorkerChannel>();
builder.Services.AddSingleton(new GrpcEndpoint(new Uri($"http://127.0.0.1:{grpcPort}/")));
builder.Services.AddSingleton<HttpTriggers>();
if (forward is null)
{
    builder.Services.AddSingleton<NonHttpTriggers>();
    builder.Services.AddHostedService(s => s.GetRequiredService<NonHttpTriggers>());
    builder.Services.AddHostedService<WorkerProcess>();
}

var host = builder.Build();
if (builder.Configuration["record"] is { } record)
{
    host.Use(new AnswerLog(Path.GetFullPath(record)).RecordAsync);
}

host.MapGrpcService<WorkerChannel>().RequireHost($"*:{grpcPort}");
host.MapPost("/admin/functions/{name}", FireAsync).RequireHost($"*:{publicUri.Port}");
// Every other path, those that look like file names too (a tag such as sha256-<hex>.sig): MapFallback would leave
// those out, and the Functions host's catch-all routes do not.
host.Map("/{**path}", forward is null
    ? c => c.RequestServices.GetRequiredService<HttpTriggers>().ServeAsync(c)
    : c => c.RequestServices.GetRequiredService<HttpTriggers>().ForwardAsync(c, forward)).RequireHost($"*:{publicUri.Port}");
host.Run();
return Environment.ExitCode;

// The admin API's invocation of a non-HTTP function: 202 once the worker was asked, as the host answers.
static async Task<IResult> FireAsync(string name, HttpRequest request, WorkerChannel channel, NonHttpTriggers triggers)
{
    var functions = await channel.Ready;
    var function = functions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase) && f.Trigger.Type != "httpTrigger");
    if (function is null)
    {
        return Results.NotFound();
    }

    var body = await System.Text.Json.JsonSerializer.DeserializeAsync<AdminInvocation>(request.Body, cancellationToken: request.HttpContext.RequestAborted);
    _ = triggers.FireAsync(function, body?.Input, CancellationToken.None);
    return Results.Accepted();
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

/// <summary>The body of <c>POST /admin/functions/&lt;name&gt;</c>.</summary>
internal sealed record AdminInvocation([property: System.Text.Json.Serialization.JsonPropertyName("input")] string? Input);
