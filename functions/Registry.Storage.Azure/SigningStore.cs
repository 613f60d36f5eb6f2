using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Signing;
using Registry.Storage.Entities;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>The SigningPolicies and TrustPolicies tables, their one owner, and the signing queue.</summary>
public sealed class SigningStore(StorageClients clients, IOptions<SigningOptions> options) : ISigningStore
{
    private readonly TableClient _signing = clients.Table(StorageLayout.SigningPoliciesTable);
    private readonly TableClient _trust = clients.Table(StorageLayout.TrustPoliciesTable);

    public async Task<IReadOnlyList<SigningPolicy>> ListSigningAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        (await _signing.QueryAsync<SigningPolicyEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(name)}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken)).Select(p => p.ToRecord()).ToList();

    public async Task<SigningPolicy?> GetSigningOrNullAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        (await _signing.GetOrNullAsync<SigningPolicyEntity>(StorageLayout.Key(name), id, cancellationToken))?.ToRecord();

    public async Task<SigningPolicy> SaveSigningAsync(
        RepositoryName name, string? id, bool enabled, string rules, bool signPlatforms, CancellationToken cancellationToken = default)
    {
        var entity = new SigningPolicyEntity
        {
            PartitionKey = StorageLayout.Key(name), RowKey = id ?? Guid.NewGuid().ToString("N"), Enabled = enabled, Rules = rules, SignPlatforms = signPlatforms,
        };
        await _signing.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        return entity.ToRecord();
    }

    public async Task<bool> DeleteSigningAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        (await _signing.DeleteEntityAsync(StorageLayout.Key(name), id, ETag.All, cancellationToken)).Status != 404;

    public async Task MarkSignedAsync(SigningPolicy policy, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        try
        {
            await _signing.UpdateEntityAsync(new TableEntity(StorageLayout.Key(policy.Repository), policy.Id) { ["LastSignedAt"] = at },
                ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            // The policy was deleted meanwhile; the job stands.
        }
    }

    public async Task<TrustPolicy?> GetTrustOrNullAsync(string scope, bool isNamespace, CancellationToken cancellationToken = default)
    {
        var (partition, row) = StorageLayout.TrustKeys(scope, isNamespace);
        return (await _trust.GetOrNullAsync<TrustPolicyEntity>(partition, row, cancellationToken))?.ToRecord();
    }

    public async Task<IReadOnlyList<TrustPolicy>> ListTrustAsync(string ns, CancellationToken cancellationToken = default) =>
        (await _trust.QueryAsync<TrustPolicyEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.TrustPartition(ns)}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken)).Select(p => p.ToRecord()).ToList();

    public async Task<TrustPolicy> SaveTrustAsync(TrustPolicy policy, CancellationToken cancellationToken = default)
    {
        var entity = TrustPolicyEntity.From(policy);
        var response = await _trust.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        entity.ETag = response.Headers.ETag ?? default;
        return entity.ToRecord();
    }

    public async Task<bool> DeleteTrustAsync(string scope, bool isNamespace, CancellationToken cancellationToken = default)
    {
        var (partition, row) = StorageLayout.TrustKeys(scope, isNamespace);
        return (await _trust.DeleteEntityAsync(partition, row, ETag.All, cancellationToken)).Status != 404;
    }

    public async Task DeleteAllAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        await _signing.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(name)}"), cancellationToken);
        await DeleteTrustAsync(name.Value, false, cancellationToken);
    }

    public Task EnqueueAsync(SignJob job, CancellationToken cancellationToken = default) =>
        clients.EnqueueAsync(options.Value.Queue, job, cancellationToken);
}
