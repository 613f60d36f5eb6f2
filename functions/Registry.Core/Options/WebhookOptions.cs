namespace Registry.Options;

/// <summary>How webhooks are delivered (<c>Registry:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Registry:Webhooks";

    /// <summary>The Storage Queue of deliveries (one message per event and webhook).</summary>
    public string Queue { get; set; } = "webhooks";

    /// <summary>Tries of one delivery before it counts as failed.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The wait before the second try; each later wait doubles, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one try waits for the endpoint's answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed deliveries in a row (every try spent) after which a webhook is made inactive.</summary>
    public int DeactivateAfter { get; set; } = 5;

    /// <summary>
    /// Networks (CIDR) endpoints may be in although they are loopback, link-local or private; none by default. Set by
    /// the registry's administrators, who know which internal receivers are meant.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>How long a delivery stays in its webhook's log.</summary>
    public TimeSpan LogRetention { get; set; } = TimeSpan.FromDays(7);
}
