using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Registry.Options;

namespace Registry.Storage;

/// <summary>The SDK clients of the registry's storage account, built once from <see cref="StorageOptions"/>.</summary>
public sealed class StorageClients
{
    public StorageClients(IOptions<StorageOptions> options)
    {
        var settings = options.Value;
        var blobOptions = new BlobClientOptions();
        var tableOptions = new TableClientOptions();
        BlobServiceClient blobs;
        TableServiceClient tables;
        if (!string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            blobs = new BlobServiceClient(settings.ConnectionString, blobOptions);
            tables = new TableServiceClient(settings.ConnectionString, tableOptions);
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
        }

        BlobService = blobs;
        Container = blobs.GetBlobContainerClient(settings.Container);
        Tables = tables;
        _tables = StorageLayout.Tables.ToDictionary(n => n, n => tables.GetTableClient(settings.TablePrefix + n));
    }

    private readonly Dictionary<string, TableClient> _tables;

    public BlobServiceClient BlobService { get; }

    public BlobContainerClient Container { get; }

    public TableServiceClient Tables { get; }

    public TableClient Table(string name) => _tables[name];

    /// <summary>Creates the container and the tables when missing.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        foreach (var table in StorageLayout.Tables)
        {
            await Table(table).CreateIfNotExistsAsync(cancellationToken);
        }
    }
}
