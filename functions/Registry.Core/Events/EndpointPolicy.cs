using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Registry.Options;

namespace Registry.Events;

/// <summary>
/// Where webhooks may be delivered: no loopback, link-local (the cloud metadata address 169.254.169.254 among them),
/// private, shared (carrier-grade NAT), unspecified, multicast or reserved address, unless it is in a network the
/// administrators allowed (<see cref="WebhookOptions.AllowedNetworks"/>). Applied to the address a name resolves to
/// when the delivery connects, so a name that comes to point inside later is refused then.
/// </summary>
public sealed class EndpointPolicy
{
    private static readonly (IPNetwork Network, string Kind)[] Restricted =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared (carrier-grade NAT)"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
        (IPNetwork.Parse("198.18.0.0/15"), "reserved"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("fc00::/7"), "private"),
        (IPNetwork.Parse("fec0::/10"), "private"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
        (IPNetwork.Parse("64:ff9b::/96"), "translated"),
    ];

    private readonly IReadOnlyList<IPNetwork> _allowed;

    public EndpointPolicy(IOptions<WebhookOptions> options)
    {
        _allowed = options.Value.AllowedNetworks.Select(n => IPNetwork.TryParse(n, out var network) ? network
            : throw new OptionsValidationException(WebhookOptions.Section, typeof(WebhookOptions), [$"Registry:Webhooks:AllowedNetworks: {n} is not a network (CIDR)"]))
            .ToList();
    }

    /// <summary>Why an address may not be delivered to (loopback, private, …), or null when it may.</summary>
    public string? Refusal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (_allowed.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address)))
        {
            return null;
        }

        foreach (var (network, kind) in Restricted)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address))
            {
                return kind;
            }
        }

        return address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 ? null : "unknown";
    }

    /// <summary>
    /// The addresses <paramref name="host"/> stands for, every one allowed; a refusal names the first that is not
    /// (a name with one inside address is refused whole, so that no answer of the resolver can take a delivery inside).
    /// </summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (SocketException e)
            {
                throw new EndpointRefusedException($"{host} does not resolve ({e.SocketErrorCode})", unresolved: true);
            }
        }

        if (addresses.Length == 0)
        {
            throw new EndpointRefusedException($"{host} does not resolve", unresolved: true);
        }

        foreach (var address in addresses)
        {
            if (Refusal(address) is { } kind)
            {
                throw new EndpointRefusedException(host == address.ToString() ? $"{address} is a {kind} address"
                    : $"{host} resolves to {address}, a {kind} address");
            }
        }

        return addresses;
    }
}

/// <summary>A webhook endpoint the policy refuses, or (<see cref="Unresolved"/>) a name that does not resolve: not delivered to, and not retried.</summary>
public sealed class EndpointRefusedException(string message, bool unresolved = false) : Exception(message)
{
    public bool Unresolved { get; } = unresolved;
}
