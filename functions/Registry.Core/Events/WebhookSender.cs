using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Options;
using Registry.Options;

namespace Registry.Events;

/// <summary>What one try of a delivery came to.</summary>
public sealed record WebhookOutcome(bool Delivered, bool Refused, int? StatusCode, long DurationMs, string Error);

/// <summary>What a delivery sends: DTR's body, the event's id and type, and the webhook's TLS settings and secret.</summary>
public sealed record WebhookRequest(string Endpoint, string Body, string EventId, string Type, DateTimeOffset CreatedAt, int Attempt,
    string TlsCert, bool SkipTlsVerification, byte[] Secret);

/// <summary>
/// Posts one webhook delivery: DTR's JSON body, CloudEvents binary-mode headers (<c>ce-id</c>, <c>ce-type</c>, …) and
/// <c>X-Registry-Signature-256: sha256=&lt;hex&gt;</c>, the HMAC-SHA256 of the body under the webhook's secret. The
/// connection is made only to addresses <see cref="EndpointPolicy"/> allows, resolved as it connects; no proxy, no
/// redirect (a 3xx is a failure). With a <c>tlsCert</c> the endpoint's certificate must chain to it; with
/// <c>skipTLSVerification</c> any certificate is taken.
/// </summary>
public sealed class WebhookSender(EndpointPolicy policy, IOptions<WebhookOptions> options)
{
    public const string SignatureHeader = "X-Registry-Signature-256";

    /// <summary>The most of an answer read (the rest is dropped with the connection).</summary>
    private const int MaxAnswer = 4096;

    public async Task<WebhookOutcome> SendAsync(WebhookRequest request, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        using var handler = Handler(request);
        using var client = new HttpClient(handler) { Timeout = options.Value.Timeout };
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Endpoint);
        var body = Encoding.UTF8.GetBytes(request.Body);
        message.Content = new ByteArrayContent(body);
        message.Content.Headers.ContentType = new("application/json");
        message.Headers.UserAgent.ParseAdd("registry-webhooks/1.0");
        message.Headers.Add("ce-specversion", "1.0");
        message.Headers.Add("ce-id", request.EventId);
        message.Headers.Add("ce-type", request.Type);
        message.Headers.Add("ce-source", RegistryEvent.Source);
        message.Headers.Add("ce-time", RegistryEvent.FormatTime(request.CreatedAt));
        message.Headers.Add("X-Registry-Delivery-Attempt", request.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        message.Headers.Add(SignatureHeader, Signature(request.Secret, body));
        try
        {
            using var answer = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)answer.StatusCode;
            var delivered = status is >= 200 and < 300;
            var error = delivered ? "" : $"answered {status}{await ExcerptAsync(answer, cancellationToken)}";
            return new WebhookOutcome(delivered, false, status, watch.ElapsedMilliseconds, error);
        }
        catch (HttpRequestException e) when (Find<EndpointRefusedException>(e) is { Unresolved: false } refused)
        {
            return new WebhookOutcome(false, true, null, watch.ElapsedMilliseconds, refused.Message);
        }
        catch (HttpRequestException e)
        {
            return new WebhookOutcome(false, false, null, watch.ElapsedMilliseconds, Describe(e));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookOutcome(false, false, null, watch.ElapsedMilliseconds, $"no answer within {options.Value.Timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>The signature header's value: <c>sha256=</c> and the lowercase hex HMAC-SHA256 of the body.</summary>
    public static string Signature(byte[] secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body));

    private SocketsHttpHandler Handler(WebhookRequest request)
    {
        var trusted = new X509Certificate2Collection();
        if (request.TlsCert.Length > 0)
        {
            trusted.ImportFromPem(request.TlsCert);
        }

        return new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.Value.Timeout,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await policy.ResolveAsync(context.DnsEndPoint.Host, cancellationToken);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    request.SkipTlsVerification || errors == SslPolicyErrors.None || (trusted.Count > 0 && ChainsTo(certificate, chain, errors, trusted)),
            },
        };
    }

    /// <summary>Whether the endpoint's certificate, right for the name, chains to one of the webhook's own certificates.</summary>
    private static bool ChainsTo(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection trusted)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements.Skip(1))
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    private static async Task<string> ExcerptAsync(HttpResponseMessage answer, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxAnswer];
        await using var stream = await answer.Content.ReadAsStreamAsync(cancellationToken);
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        var text = Encoding.UTF8.GetString(buffer, 0, read).Trim();
        return text.Length == 0 ? "" : $": {(text.Length > 200 ? text[..200] + "…" : text)}";
    }

    private static string Describe(HttpRequestException e) =>
        Find<EndpointRefusedException>(e) is { } unresolved ? unresolved.Message
        : Find<SocketException>(e) is { } socket ? $"could not connect ({socket.SocketErrorCode})"
        : Find<System.Security.Authentication.AuthenticationException>(e) is not null ? "the endpoint's TLS certificate is not trusted"
        : e.Message;

    private static T? Find<T>(Exception e)
        where T : Exception
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is T found)
            {
                return found;
            }
        }

        return null;
    }
}
