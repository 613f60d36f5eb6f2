using Registry.Records;

namespace Registry.Stores;

/// <summary>Webhooks, their delivery logs, and the delivery queue.</summary>
public interface IWebhookStore
{
    /// <summary>Every webhook (one partition: a registry has few).</summary>
    Task<IReadOnlyList<Webhook>> ListAsync(CancellationToken cancellationToken = default);

    Task<Webhook?> GetOrNullAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Adds a new webhook (its id must be new).</summary>
    Task<Webhook> AddAsync(Webhook webhook, CancellationToken cancellationToken = default);

    /// <summary>Replaces a webhook on condition of its ETag; false when it changed or went meanwhile.</summary>
    Task<bool> UpdateAsync(Webhook webhook, CancellationToken cancellationToken = default);

    /// <summary>Deletes a webhook and its log; false when there was none.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Records one try and drops the log's entries older than <paramref name="keepSince"/>.</summary>
    Task AddDeliveryAsync(WebhookDelivery delivery, DateTimeOffset keepSince, CancellationToken cancellationToken = default);

    /// <summary>A webhook's log, newest first.</summary>
    Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string webhookId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Puts a delivery on the webhook queue, visible after <paramref name="delay"/>.</summary>
    Task EnqueueAsync(WebhookJob job, TimeSpan delay, CancellationToken cancellationToken = default);
}
