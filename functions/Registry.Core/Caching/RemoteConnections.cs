using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Registry.Caching;

/// <summary>
/// How the registry connects to another registry: no proxy, no redirects followed by the handler, the endpoint's TLS
/// trust, and, unless the endpoint allows them, no connection to a loopback, private, link-local or unspecified address
/// (checked on the address actually connected to, so a name that resolves there later is refused too).
/// </summary>
public static class RemoteConnections
{
    public static SocketsHttpHandler Handler(RemoteEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = endpoint.Timeout,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (endpoint.SkipTlsVerification)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (!string.IsNullOrWhiteSpace(endpoint.CaPem))
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPem(endpoint.CaPem);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None || certificate is not null && errors == SslPolicyErrors.RemoteCertificateChainErrors && ChainsTo(certificate, authorities);
        }

        if (!endpoint.AllowPrivateNetworks)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
                var address = addresses.FirstOrDefault(a => !IsPrivate(a))
                    ?? throw new HttpRequestException($"{context.DnsEndPoint.Host} is at a loopback, private or link-local address, which this registry does not connect to");
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return handler;
    }

    /// <summary>Loopback, private (RFC 1918, unique local), link-local (the cloud's metadata service among them), shared or unspecified.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal
            || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal)
        {
            return true;
        }

        var bytes = address.GetAddressBytes();
        return address.AddressFamily == AddressFamily.InterNetwork && (bytes[0] == 10 || bytes[0] == 0
            || bytes[0] == 172 && bytes[1] is >= 16 and <= 31
            || bytes[0] == 192 && bytes[1] == 168
            || bytes[0] == 169 && bytes[1] == 254
            || bytes[0] == 100 && bytes[1] is >= 64 and <= 127);
    }

    private static bool ChainsTo(X509Certificate certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
