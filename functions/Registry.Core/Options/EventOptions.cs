namespace Registry.Options;

/// <summary>Where registry events go (<c>Registry:Events</c>).</summary>
public sealed class EventOptions
{
    public const string Section = "Registry:Events";

    /// <summary><c>none</c> (the default: no events), <c>queue</c> (a Storage Queue) or <c>servicebus</c> (a Service Bus topic).</summary>
    public string Publisher { get; set; } = "none";

    /// <summary>The Storage Queue events go to with the <c>queue</c> publisher.</summary>
    public string Queue { get; set; } = "events";

    /// <summary>The Service Bus namespace (<c>name.servicebus.windows.net</c>), reached with the app's managed identity.</summary>
    public string? ServiceBusNamespace { get; set; }

    /// <summary>The Service Bus topic events go to.</summary>
    public string Topic { get; set; } = "registry-events";

    /// <summary>Whether pulls raise TAG_PULL and MANIFEST_PULL events (off: they are most of the volume).</summary>
    public bool Pulls { get; set; }

    /// <summary>The registry's host as clients name it, for the <c>imageName</c> and <c>location</c> of events (none: names without a host).</summary>
    public string RegistryHost { get; set; } = "";
}
