namespace Registry.Options;

/// <summary>Mirroring to other registries (DTR's push mirroring): Registry:Mirroring.</summary>
public sealed class MirroringOptions
{
    public const string Section = "Registry:Mirroring";

    /// <summary>
    /// Whether a remote may be at a loopback, private or link-local address. Off by default, so that no user can make the
    /// registry reach into the network it runs in (the cloud's metadata service, internal services); on for a registry
    /// that mirrors inside a private network.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long one request to a remote may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
