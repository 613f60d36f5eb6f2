using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A webhook. PartitionKey "w", RowKey its id.</summary>
public sealed class WebhookEntity : RegistryEntity
{
    public string Type { get; set; } = "";

    public string Key { get; set; } = "";

    public string Endpoint { get; set; } = "";

    public string TlsCert { get; set; } = "";

    public bool SkipTlsVerification { get; set; }

    public string AuthorId { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastSuccessfulAt { get; set; }

    public bool Inactive { get; set; }

    public byte[] SealedSecret { get; set; } = [];

    public int FailedDeliveries { get; set; }

    public Webhook ToRecord() => Versioned(new Webhook
    {
        Id = RowKey, Type = Type, Key = Key, Endpoint = Endpoint, TlsCert = TlsCert, SkipTlsVerification = SkipTlsVerification, AuthorId = AuthorId,
        CreatedAt = CreatedAt, LastSuccessfulAt = LastSuccessfulAt, Inactive = Inactive, SealedSecret = SealedSecret, FailedDeliveries = FailedDeliveries,
    });

    public static WebhookEntity From(Webhook webhook) => new()
    {
        PartitionKey = StorageLayout.WebhooksPartition, RowKey = webhook.Id, Type = webhook.Type, Key = webhook.Key, Endpoint = webhook.Endpoint,
        TlsCert = webhook.TlsCert, SkipTlsVerification = webhook.SkipTlsVerification, AuthorId = webhook.AuthorId, CreatedAt = webhook.CreatedAt,
        LastSuccessfulAt = webhook.LastSuccessfulAt, Inactive = webhook.Inactive, SealedSecret = webhook.SealedSecret,
        FailedDeliveries = webhook.FailedDeliveries, ETag = VersionOf(webhook),
    };
}

/// <summary>One try of a delivery. PartitionKey the webhook's id, RowKey <see cref="StorageLayout.DeliveryRow"/> (newest first).</summary>
public sealed class WebhookDeliveryEntity : RegistryEntity
{
    public string EventId { get; set; } = "";

    public string Type { get; set; } = "";

    public int Attempt { get; set; }

    public string Status { get; set; } = "";

    public int? StatusCode { get; set; }

    public long DurationMs { get; set; }

    public string Error { get; set; } = "";

    public DateTimeOffset At { get; set; }

    public WebhookDelivery ToRecord() => new(PartitionKey, EventId, Type, Attempt, Status, StatusCode, DurationMs, Error, At);
}
