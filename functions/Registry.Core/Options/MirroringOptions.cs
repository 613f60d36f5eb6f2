namespace Registry.Options;

/// <summary>Mirroring to and from other registries (DTR's push and poll mirroring): Registry:Mirroring.</summary>
public sealed class MirroringOptions
{
    public const string Section = "Registry:Mirroring";

    /// <summary>
    /// Whether a remote may be at a loopback, private or link-local address. Off by default, so that no user can make the
    /// registry reach into the network it runs in (the cloud's metadata service, internal services); on for a registry
    /// that mirrors inside a private network.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>The Storage Queue of mirroring jobs: a tag to push, or a poll policy to run.</summary>
    public string Queue { get; set; } = "";

    /// <summary>When poll mirroring policies run (six-field CRON): every 15 minutes by default.</summary>
    public string PollSchedule { get; set; } = "0 */15 * * * *";

    /// <summary>How long one request to a remote may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
