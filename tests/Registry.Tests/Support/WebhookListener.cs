using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Registry.Tests.Support;

/// <summary>A webhook receiver on loopback: every POST is recorded (headers and body) and answered as <c>answer</c> says.</summary>
public sealed class WebhookListener : IAsyncDisposable
{
    /// <summary>One request the listener received.</summary>
    public sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public string Text => System.Text.Encoding.UTF8.GetString(Body);
    }

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();

    private WebhookListener(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyList<Received> Requests => _received.ToArray();

    /// <summary>
    /// Starts a listener; <paramref name="answer"/> gets the number of the request (1 for the first) and returns the
    /// status to answer with and how long to wait first (200 at once when none is given). With a
    /// <paramref name="certificate"/> it serves HTTPS.
    /// </summary>
    public static async Task<WebhookListener> StartAsync(
        Func<int, (int Status, TimeSpan Delay)>? answer = null, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (certificate is null)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        }

        var app = builder.Build();
        var listener = new WebhookListener(app);
        var count = 0;
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            listener._received.Enqueue(new Received(context.Request.Path, headers, body.ToArray()));
            var (status, delay) = answer?.Invoke(Interlocked.Increment(ref count)) ?? (200, TimeSpan.Zero);
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            context.Response.StatusCode = status;
            await context.Response.WriteAsync(status == 200 ? "ok" : "listener failure");
        });
        await app.StartAsync();
        listener.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
