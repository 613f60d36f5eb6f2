using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Registry.FunctionsHost.Rpc;
using Yarp.ReverseProxy.Forwarder;

namespace Registry.FunctionsHost;

/// <summary>
/// HTTP triggers with ASP.NET Core integration, as the Functions host runs them: the request is matched against the
/// functions' routes (host.json's routePrefix is empty), an invocation request goes to the worker over gRPC, and the
/// whole request, body streamed, is forwarded to the worker's own HTTP address with the invocation id header and
/// X-Forwarded-Host, X-Forwarded-Proto and X-Forwarded-For. The worker answers the client; the invocation response
/// says whether the function succeeded.
/// </summary>
public sealed partial class HttpTriggers(WorkerChannel channel, IHttpForwarder forwarder, ILogger<HttpTriggers> logger)
{
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    });

    public async Task ServeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize)
        {
            // The front end refuses a body above FUNCTIONS_REQUEST_BODY_SIZE_LIMIT before any function sees it.
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var functions = await channel.Ready.WaitAsync(TimeSpan.FromSeconds(60), context.RequestAborted);
        var path = (context.Request.Path.Value ?? "").TrimStart('/');
        var function = functions.FirstOrDefault(f => f.Trigger.Type == "httpTrigger" && Matches(f.Trigger, path, context.Request.Method));
        if (function is null || channel.HttpUri is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        var invocationId = Guid.NewGuid().ToString();
        context.Request.Headers["x-ms-invocation-id"] = invocationId;
        var http = new RpcHttp { Method = context.Request.Method, Url = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}{context.Request.QueryString}" };
        var invocation = channel.InvokeAsync(function, invocationId,
            [new ParameterBinding { Name = function.Trigger.Name, Data = new TypedData { Http = http } }],
            new Dictionary<string, TypedData>(), context.RequestAborted);

        var error = await forwarder.SendAsync(context, channel.HttpUri.ToString(), _invoker, ForwarderRequestConfig.Empty, Forwarding.Instance);
        if (error != ForwarderError.None)
        {
            LogForwardFailed(logger, error, context.Request.Method, path);
        }

        try
        {
            var response = await invocation.WaitAsync(TimeSpan.FromMinutes(10), context.RequestAborted);
            if (response.Result.Status != StatusResult.Types.Status.Success)
            {
                LogFunctionFailed(logger, function.Name, response.Result.Exception?.Message ?? response.Result.Result);
                if (!context.Response.HasStarted)
                {
                    context.Response.StatusCode = 500;
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    /// <summary>Forwards a request as it came, Host header included, to another registry (the <c>--forward</c> mode).</summary>
    public async Task ForwardAsync(HttpContext context, string address)
    {
        var error = await forwarder.SendAsync(context, address, _invoker, ForwarderRequestConfig.Empty, KeepHost.Instance);
        if (error != ForwarderError.None)
        {
            LogForwardFailed(logger, error, context.Request.Method, context.Request.Path.Value ?? "");
        }
    }

    private sealed class KeepHost : HttpTransformer
    {
        public static readonly KeepHost Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
            CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Host = httpContext.Request.Host.Value;
        }
    }

    /// <summary>A route template of the forms the app uses: a literal path, or a literal prefix and a catch-all <c>{*path}</c>.</summary>
    private static bool Matches(FunctionBinding trigger, string path, string method)
    {
        if (!trigger.Methods.Contains(method.ToUpperInvariant()))
        {
            return false;
        }

        var route = trigger.Route;
        var catchAll = route.IndexOf("{*", StringComparison.Ordinal);
        if (catchAll < 0)
        {
            return string.Equals(path.TrimEnd('/'), route, StringComparison.OrdinalIgnoreCase);
        }

        var prefix = route[..catchAll].TrimEnd('/');
        return string.Equals(path, prefix, StringComparison.OrdinalIgnoreCase)
            || path.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The host's forwarding: the request's headers, the invocation id, and X-Forwarded-* of the client's request.</summary>
    private sealed class Forwarding : HttpTransformer
    {
        public static readonly Forwarding Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
            CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Remove("X-Forwarded-Host");
            proxyRequest.Headers.Remove("X-Forwarded-Proto");
            proxyRequest.Headers.Remove("X-Forwarded-For");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            if (httpContext.Connection.RemoteIpAddress is { } address)
            {
                proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", address.ToString());
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding {Method} {Path} to the worker failed: {Error}")]
    private static partial void LogForwardFailed(ILogger logger, ForwarderError error, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Function {Name} failed: {Message}")]
    private static partial void LogFunctionFailed(ILogger logger, string name, string message);
}
