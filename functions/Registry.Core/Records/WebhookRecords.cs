namespace Registry.Records;

/// <summary>
/// A webhook: DTR's fields (type, key, endpoint, tlsCert, skipTLSVerification, authorID, createdAt,
/// lastSuccessfulAt, inactive) and the registry's own: the HMAC secret (sealed at rest) and the failed deliveries in a row.
/// <see cref="Key"/> is <c>ns/repo</c> for a repository's types, <c>ns</c> for REPO_EVENT, empty for global types.
/// </summary>
public sealed class Webhook : StoredRecord
{
    public string Id { get; set; } = "";

    public string Type { get; set; } = "";

    public string Key { get; set; } = "";

    public string Endpoint { get; set; } = "";

    public string TlsCert { get; set; } = "";

    public bool SkipTlsVerification { get; set; }

    public string AuthorId { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastSuccessfulAt { get; set; }

    public bool Inactive { get; set; }

    /// <summary>The HMAC-SHA256 secret, sealed (AES-GCM, bound to the webhook's id).</summary>
    public byte[] SealedSecret { get; set; } = [];

    public int FailedDeliveries { get; set; }
}

/// <summary>One try of one delivery, as the webhook's log shows it.</summary>
public sealed record WebhookDelivery(
    string WebhookId, string EventId, string Type, int Attempt, string Status, int? StatusCode, long DurationMs, string Error, DateTimeOffset At)
{
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Refused = "refused";
}

/// <summary>A delivery on the webhook queue: the webhook, the event's id and DTR's body, and the try it is.</summary>
public sealed record WebhookJob(string WebhookId, string EventId, string Type, DateTimeOffset CreatedAt, string Body, int Attempt);
