using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Registry.Oci;
using Registry.Stores;
using Registry.Trust;

namespace Registry.Storage;

/// <summary>
/// The TrustData table and the trust/ blobs: files first (create-only, by checksum), then one table transaction per
/// update that moves the current rows of its roles on condition of their ETags and adds a version and a checksum row
/// for each, so an update is visible all at once or not at all, and two updates of one version cannot both land.
/// </summary>
public sealed class TrustDataStore(StorageClients clients) : ITrustDataStore
{
    private readonly TableClient _table = clients.Table(StorageLayout.TrustDataTable);

    public async Task<IReadOnlyDictionary<string, TrustPointer>> GetCurrentAsync(Gun gun, CancellationToken cancellationToken = default)
    {
        var partition = StorageLayout.TrustDataPartition(gun);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {"l|"} and RowKey lt {"l|~"}");
        var current = new Dictionary<string, TrustPointer>(StringComparer.Ordinal);
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, 1000, cancellationToken: cancellationToken))
        {
            var pointer = PointerOf(row);
            current[pointer.Role] = pointer;
        }

        return current;
    }

    public async Task<TrustPointer?> GetCurrentAsync(Gun gun, string role, CancellationToken cancellationToken = default) =>
        await _table.GetOrNullAsync<TableEntity>(StorageLayout.TrustDataPartition(gun), StorageLayout.TrustRow('l', role), cancellationToken) is { } row
            ? PointerOf(row)
            : null;

    public async Task<string?> FindVersionAsync(Gun gun, string role, long version, CancellationToken cancellationToken = default) =>
        version < 1 ? null
            : (await _table.GetOrNullAsync<TableEntity>(StorageLayout.TrustDataPartition(gun), StorageLayout.TrustRow('v', role, Version(version)), cancellationToken))
                ?.GetString("Sha256");

    public async Task<bool> HasChecksumAsync(Gun gun, string role, string sha256, CancellationToken cancellationToken = default) =>
        await _table.GetOrNullAsync<TableEntity>(StorageLayout.TrustDataPartition(gun), StorageLayout.TrustRow('c', role, sha256), cancellationToken) is not null;

    public async Task<byte[]?> ReadFileAsync(Gun gun, string role, string sha256, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await clients.Container.GetBlobClient(StorageLayout.TrustFilePath(gun, role, sha256)).DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return null;
        }
    }

    public async Task WriteFileAsync(Gun gun, string role, string sha256, byte[] bytes, CancellationToken cancellationToken = default)
    {
        try
        {
            await clients.Container.GetBlobClient(StorageLayout.TrustFilePath(gun, role, sha256)).UploadAsync(BinaryData.FromBytes(bytes),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.IsConflict() || e.IsPreconditionFailed())
        {
            // the same checksum: the same bytes are there already
        }
    }

    public async Task<bool> CommitAsync(Gun gun, IReadOnlyList<TrustPointer> updates, CancellationToken cancellationToken = default)
    {
        var partition = StorageLayout.TrustDataPartition(gun);
        var actions = new List<TableTransactionAction>();
        foreach (var update in updates)
        {
            var current = new TableEntity(partition, StorageLayout.TrustRow('l', update.Role))
            {
                ["Version"] = update.Version, ["Sha256"] = update.Sha256, ["Length"] = update.Length,
            };
            actions.Add(update.ETag is { } etag
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, current, new ETag(etag))
                : new TableTransactionAction(TableTransactionActionType.Add, current));
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(partition, StorageLayout.TrustRow('v', update.Role, Version(update.Version))) { ["Sha256"] = update.Sha256 }));
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(partition, StorageLayout.TrustRow('c', update.Role, update.Sha256)) { ["Version"] = update.Version }));
        }

        try
        {
            await _table.SubmitTransactionAsync(actions, cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<(Gun Gun, TrustPointer Pointer)>> ListCurrentAsync(
        RepositoryName repository, Func<string, bool> roles, CancellationToken cancellationToken = default)
    {
        var (from, to) = StorageLayout.TrustDataPartitionsOf(repository);
        var filter = TableClient.CreateQueryFilter($"PartitionKey gt {from} and PartitionKey lt {to} and RowKey gt {"l|"} and RowKey lt {"l|~"}");
        var found = new List<(Gun, TrustPointer)>();
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, 1000, cancellationToken: cancellationToken))
        {
            var pointer = PointerOf(row);
            var host = row.PartitionKey[from.Length..];
            if (roles(pointer.Role))
            {
                found.Add((new Gun(host == "_" ? "" : host, repository), pointer));
            }
        }

        return found;
    }

    public async Task DeleteAsync(Gun gun, CancellationToken cancellationToken = default)
    {
        // the server's keys stay, as notary-signer keeps them: a client that publishes again finds its timestamp key
        var partition = StorageLayout.TrustDataPartition(gun);
        await _table.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (RowKey lt {"k|"} or RowKey gt {"k|~"})"), cancellationToken);
        await DeleteBlobsAsync(StorageLayout.TrustPrefix(gun), cancellationToken);
    }

    public async Task DeleteRepositoryAsync(RepositoryName repository, CancellationToken cancellationToken = default)
    {
        var (from, to) = StorageLayout.TrustDataPartitionsOf(repository);
        await _table.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey gt {from} and PartitionKey lt {to}"), cancellationToken);
        await DeleteBlobsAsync(StorageLayout.TrustPrefix(repository), cancellationToken);
    }

    public async Task<IReadOnlyList<StoredTrustKey>> ListKeysAsync(Gun gun, string role, CancellationToken cancellationToken = default)
    {
        var prefix = StorageLayout.TrustRow('k', role) + "|";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.TrustDataPartition(gun)} and RowKey gt {prefix} and RowKey lt {prefix + "~"}");
        var keys = new List<StoredTrustKey>();
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, 100, cancellationToken: cancellationToken))
        {
            keys.Add(new StoredTrustKey(role, row.RowKey[prefix.Length..], row.GetBinary("Sealed"), row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue));
        }

        return keys;
    }

    public async Task AddKeyAsync(Gun gun, StoredTrustKey key, CancellationToken cancellationToken = default) =>
        await _table.AddEntityAsync(new TableEntity(StorageLayout.TrustDataPartition(gun), StorageLayout.TrustRow('k', key.Role, key.KeyId))
        {
            ["Sealed"] = key.Sealed, ["CreatedAt"] = key.CreatedAt,
        }, cancellationToken);

    public async Task DeleteKeyAsync(Gun gun, string role, string keyId, CancellationToken cancellationToken = default) =>
        await _table.DeleteEntityAsync(StorageLayout.TrustDataPartition(gun), StorageLayout.TrustRow('k', role, keyId), ETag.All, cancellationToken);

    private async Task DeleteBlobsAsync(string prefix, CancellationToken cancellationToken)
    {
        await foreach (var blob in clients.Container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            await clients.Container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
        }
    }

    private static TrustPointer PointerOf(TableEntity row) =>
        new(StorageLayout.TrustRoleOf(row.RowKey), row.GetInt64("Version") ?? 0, row.GetString("Sha256"), row.GetInt64("Length") ?? 0, row.ETag.ToString());

    private static string Version(long version) => version.ToString("D19", CultureInfo.InvariantCulture);
}
