using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Registry.Options;

namespace Registry.Storage;

/// <summary>The SDK clients of the registry's storage account, built once from <see cref="StorageOptions"/>.</summary>
public sealed class StorageClients
{
    public StorageClients(IOptions<StorageOptions> options)
    {
        var settings = options.Value;
        var blobOptions = Bounded(new BlobClientOptions(), settings);
        blobOptions.AddPolicy(StorageCalls.Blobs, HttpPipelinePosition.PerRetry);
        var tableOptions = Bounded(new TableClientOptions(), settings);
        tableOptions.AddPolicy(StorageCalls.Tables, HttpPipelinePosition.PerRetry);
        // Base64, as the Functions queue trigger reads messages by default.
        var queueOptions = Bounded(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, settings);
        queueOptions.AddPolicy(StorageCalls.Queues, HttpPipelinePosition.PerRetry);
        BlobServiceClient blobs;
        TableServiceClient tables;
        QueueServiceClient? queues = null;
        if (!string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            blobs = new BlobServiceClient(settings.ConnectionString, blobOptions);
            tables = new TableServiceClient(settings.ConnectionString, tableOptions);
            queues = new QueueServiceClient(settings.ConnectionString, queueOptions);
        }
        else
        {
            if (settings.BlobServiceUri is null || settings.TableServiceUri is null)
            {
                throw new InvalidOperationException(
                    "Set Registry:Storage:ConnectionString, or Registry:Storage:BlobServiceUri and Registry:Storage:TableServiceUri.");
            }

            TokenCredential credential = string.IsNullOrWhiteSpace(settings.ManagedIdentityClientId)
                ? new DefaultAzureCredential()
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(settings.ManagedIdentityClientId));
            blobs = new BlobServiceClient(settings.BlobServiceUri, credential, blobOptions);
            tables = new TableServiceClient(settings.TableServiceUri, credential, tableOptions);
            if (settings.QueueServiceUri is not null)
            {
                queues = new QueueServiceClient(settings.QueueServiceUri, credential, queueOptions);
            }
        }

        BlobService = blobs;
        Container = blobs.GetBlobContainerClient(settings.Container);
        Tables = tables;
        _queues = queues;
        _tables = StorageLayout.Tables.ToDictionary(n => n, n => tables.GetTableClient(settings.TablePrefix + n));
    }

    /// <summary>Bounded tries, so that a storage outage is answered within seconds rather than minutes, and told apart from a refusal.</summary>
    private static T Bounded<T>(T options, StorageOptions settings)
        where T : ClientOptions
    {
        options.AddPolicy(OutagePolicy.Instance, HttpPipelinePosition.PerCall);
        options.Retry.NetworkTimeout = settings.NetworkTimeout;
        options.Retry.MaxRetries = settings.MaxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(400);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(4);
        return options;
    }

    private readonly Dictionary<string, TableClient> _tables;
    private readonly QueueServiceClient? _queues;

    public BlobServiceClient BlobService { get; }

    public BlobContainerClient Container { get; }

    public TableServiceClient Tables { get; }

    public TableClient Table(string name) => _tables[name];

    /// <summary>A queue of the account; fails when no queue endpoint is configured.</summary>
    public QueueClient Queue(string name) =>
        (_queues ?? throw new InvalidOperationException("Set Registry:Storage:QueueServiceUri (or a connection string) to use queues.")).GetQueueClient(name);

    /// <summary>
    /// Puts a job on a queue (made when missing) as the queue triggers read it: JSON in web casing, base64 (the
    /// queue client's encoding).
    /// </summary>
    public async Task EnqueueAsync<T>(string queueName, T job, CancellationToken cancellationToken = default, TimeSpan? delay = null)
    {
        var queue = Queue(queueName);
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await queue.SendMessageAsync(System.Text.Json.JsonSerializer.Serialize(job, JobJson), delay > TimeSpan.Zero ? delay : null, null, cancellationToken);
    }

    private static readonly System.Text.Json.JsonSerializerOptions JobJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>Creates the container and the tables when missing, all at once (start-up waits for the slowest, not the sum).</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default) =>
        await Task.WhenAll(StorageLayout.Tables.Select(t => (Task)Table(t).CreateIfNotExistsAsync(cancellationToken))
            .Append(Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
}
