using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Options;
using Registry.Events;
using Registry.Options;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>The Events table: the outbox, one row per raised event in the order raised.</summary>
public sealed class EventOutbox(StorageClients clients) : IEventOutbox
{
    private readonly TableClient _table = clients.Table(StorageLayout.EventsTable);

    public async Task AddAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default)
    {
        foreach (var chunk in events.Chunk(100))
        {
            await _table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                new TableEntity(StorageLayout.OutboxPartition, $"{e.CreatedAt.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}-{e.Id}")
                {
                    ["Event"] = e.Serialize(),
                })), cancellationToken);
        }
    }

    public async Task<IReadOnlyList<(string Key, RegistryEvent Event)>> ListAsync(int count, CancellationToken cancellationToken = default) =>
        (await _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.OutboxPartition}"), Math.Min(count, 1000),
            cancellationToken: cancellationToken).TakeAsync(count, cancellationToken))
        .Select(row => (row.RowKey, RegistryEvent.Deserialize(row.GetString("Event")))).ToList();

    public async Task RemoveAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        foreach (var chunk in keys.Chunk(100))
        {
            try
            {
                await _table.SubmitTransactionAsync(chunk.Select(key =>
                    new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(StorageLayout.OutboxPartition, key), ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // another instance's drain removed one of them first: remove the rest one by one
                foreach (var key in chunk)
                {
                    await _table.DeleteEntityAsync(StorageLayout.OutboxPartition, key, ETag.All, cancellationToken);
                }
            }
        }
    }
}

/// <summary>Publishes events to a Storage Queue (Registry:Events:Queue), each message a CloudEvent in structured JSON.</summary>
public sealed class QueueEventPublisher(StorageClients clients, IOptions<EventOptions> options) : IEventPublisher
{
    private bool _created;

    public async Task PublishAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default)
    {
        var queue = clients.Queue(options.Value.Queue);
        if (!_created)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            _created = true;
        }

        // a queue takes one message per request: a few at once
        foreach (var chunk in events.Chunk(16))
        {
            await Task.WhenAll(chunk.Select(e => queue.SendMessageAsync(BinaryData.FromBytes(e.ToStructuredJson()), cancellationToken: cancellationToken)));
        }
    }
}

/// <summary>
/// Publishes events to a Service Bus topic with the app's identity (Data Sender only): a CloudEvent in structured JSON
/// per message, the event id as MessageId (the topic's duplicate detection drops a republished event), the type as subject.
/// </summary>
public sealed class ServiceBusEventPublisher : IEventPublisher, IAsyncDisposable
{
    private readonly ServiceBusClient _client;
    private readonly ServiceBusSender _sender;

    public ServiceBusEventPublisher(IOptions<EventOptions> options)
        : this(new ServiceBusClient(options.Value.ServiceBusNamespace
            ?? throw new InvalidOperationException("Set Registry:Events:ServiceBusNamespace to publish events to Service Bus."), new DefaultAzureCredential()), options.Value.Topic)
    {
    }

    /// <summary>Over a given client (tests give the SDK's test doubles).</summary>
    public ServiceBusEventPublisher(ServiceBusClient client, string topic)
    {
        _client = client;
        _sender = client.CreateSender(topic);
    }

    public async Task PublishAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default) =>
        await _sender.SendMessagesAsync(events.Select(Message), cancellationToken);

    public static ServiceBusMessage Message(RegistryEvent registryEvent) =>
        new(registryEvent.ToStructuredJson()) { MessageId = registryEvent.Id, ContentType = "application/cloudevents+json", Subject = registryEvent.Type };

    public async ValueTask DisposeAsync()
    {
        await _sender.DisposeAsync();
        await _client.DisposeAsync();
    }
}

/// <summary>No publisher (Registry:Events:Publisher none): events are not raised, so nothing reaches it.</summary>
public sealed class NoEventPublisher : IEventPublisher
{
    public Task PublishAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
