using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Records;
using Registry.Storage.Entities;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>The Webhooks and WebhookDeliveries tables, their one owner, and the webhook queue.</summary>
public sealed class WebhookStore(StorageClients clients, IOptions<WebhookOptions> options) : IWebhookStore
{
    private readonly TableClient _webhooks = clients.Table(StorageLayout.WebhooksTable);
    private readonly TableClient _deliveries = clients.Table(StorageLayout.WebhookDeliveriesTable);

    public async Task<IReadOnlyList<Webhook>> ListAsync(CancellationToken cancellationToken = default) =>
        (await _webhooks.QueryAsync<WebhookEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.WebhooksPartition}"),
            cancellationToken: cancellationToken).TakeAsync(10_000, cancellationToken)).Select(w => w.ToRecord()).ToList();

    public async Task<Webhook?> GetOrNullAsync(string id, CancellationToken cancellationToken = default) =>
        (await _webhooks.GetOrNullAsync<WebhookEntity>(StorageLayout.WebhooksPartition, id, cancellationToken))?.ToRecord();

    public async Task<Webhook> AddAsync(Webhook webhook, CancellationToken cancellationToken = default)
    {
        var entity = WebhookEntity.From(webhook);
        var response = await _webhooks.AddEntityAsync(entity, cancellationToken);
        entity.ETag = response.Headers.ETag ?? default;
        return entity.ToRecord();
    }

    public Task<bool> UpdateAsync(Webhook webhook, CancellationToken cancellationToken = default) =>
        _webhooks.ReplaceIfUnchangedAsync(WebhookEntity.From(webhook), webhook, cancellationToken);

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var deleted = (await _webhooks.DeleteEntityAsync(StorageLayout.WebhooksPartition, id, ETag.All, cancellationToken)).Status != 404;
        await _deliveries.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey eq {id}"), cancellationToken);
        return deleted;
    }

    public async Task AddDeliveryAsync(WebhookDelivery delivery, DateTimeOffset keepSince, CancellationToken cancellationToken = default)
    {
        await _deliveries.UpsertEntityAsync(new WebhookDeliveryEntity
        {
            PartitionKey = delivery.WebhookId, RowKey = StorageLayout.DeliveryRow(delivery.At, delivery.Attempt, delivery.EventId), EventId = delivery.EventId,
            Type = delivery.Type, Attempt = delivery.Attempt, Status = delivery.Status, StatusCode = delivery.StatusCode, DurationMs = delivery.DurationMs,
            Error = delivery.Error, At = delivery.At,
        }, TableUpdateMode.Replace, cancellationToken);

        // rows sort newest first: what sorts after keepSince's row is older
        var oldest = StorageLayout.DeliveryRow(keepSince, 0, "");
        await _deliveries.DeleteWhereAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {delivery.WebhookId} and RowKey gt {oldest}"), cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string webhookId, int limit, CancellationToken cancellationToken = default) =>
        (await _deliveries.QueryAsync<WebhookDeliveryEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {webhookId}"), Math.Min(limit, 1000),
            cancellationToken: cancellationToken).TakeAsync(limit, cancellationToken)).Select(d => d.ToRecord()).ToList();

    public Task EnqueueAsync(WebhookJob job, TimeSpan delay, CancellationToken cancellationToken = default) =>
        clients.EnqueueAsync(options.Value.Queue, job, cancellationToken, delay);
}
