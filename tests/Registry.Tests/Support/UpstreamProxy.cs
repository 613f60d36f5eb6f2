using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Registry.Tests.Support;

/// <summary>
/// A reverse proxy on loopback in front of a registry, standing for the upstream of a cache: it forwards every request
/// as it came, counts them by method and path, and can be told to answer 429 (with Retry-After) instead.
/// </summary>
public sealed class UpstreamProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _forward = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
    private readonly ConcurrentQueue<string> _requests = new();

    private UpstreamProxy(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>Where requests go; may be changed while the proxy runs.</summary>
    public Uri Target { get; set; } = null!;

    /// <summary>When true, every request is answered 429 with Retry-After: 7 (and not forwarded).</summary>
    public bool TooManyRequests { get; set; }

    /// <summary>Every request forwarded or refused, as "METHOD /path".</summary>
    public IReadOnlyList<string> Requests => _requests.ToArray();

    /// <summary>The requests whose "METHOD /path" starts with <paramref name="prefix"/>.</summary>
    public int Count(string prefix) => _requests.Count(r => r.StartsWith(prefix, StringComparison.Ordinal));

    public static async Task<UpstreamProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        var proxy = new UpstreamProxy(app) { Target = target };
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy.Address = new Uri(address);
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var path = context.Request.Path + context.Request.QueryString;
        _requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
        if (TooManyRequests)
        {
            context.Response.StatusCode = 429;
            context.Response.Headers.RetryAfter = "7";
            await context.Response.WriteAsync("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}");
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(Target, path));
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await _forward.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException)
        {
            context.Response.StatusCode = 502;
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _forward.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
