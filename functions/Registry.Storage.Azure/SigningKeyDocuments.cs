using Azure;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Azure.Storage.Blobs.Models;
using Azure.Core;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>A key document as a blob of the registry container (<paramref name="path"/>), written on condition of its ETag.</summary>
public sealed class BlobSigningKeyDocument(StorageClients clients, string path) : ISigningKeyDocument
{
    public async Task<(string? Json, string? Version)> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var blob = await clients.Container.GetBlobClient(path).DownloadContentAsync(cancellationToken);
            return (blob.Value.Content.ToString(), blob.Value.Details.ETag.ToString());
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return (null, null);
        }
    }

    public async Task<bool> TryWriteAsync(string json, string? version, CancellationToken cancellationToken)
    {
        try
        {
            await clients.Container.GetBlobClient(path).UploadAsync(BinaryData.FromString(json), new BlobUploadOptions
            {
                Conditions = version is { } etag ? new BlobRequestConditions { IfMatch = new ETag(etag) } : new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsConflict())
        {
            return false;
        }
    }
}

/// <summary>
/// A key document as a Key Vault secret (Registry:Auth:KeyVaultUri), read with the app's identity: the token keys,
/// or the secret behind a certificate (its newest version, base64 PKCS#12, which the app only reads). A secret has no
/// conditional write: the last token-key rotation wins, and the keys it drops validate nothing for long (they were the oldest).
/// </summary>
public sealed class KeyVaultSigningKeyDocument(Uri vault, string secretName) : ISigningKeyDocument
{
    /// <summary>The secret of the token keys.</summary>
    public const string TokenKeysSecret = "registry-token-signing-keys";

    /// <summary>The secret of the key that seals the Notary keys the server holds.</summary>
    public const string TrustKeysSecret = "registry-trust-sealing-key";

    private readonly SecretClient _secrets = new(vault, new DefaultAzureCredential(), WithOutagePolicy(new SecretClientOptions()));

    private static SecretClientOptions WithOutagePolicy(SecretClientOptions options)
    {
        options.AddPolicy(OutagePolicy.Instance, HttpPipelinePosition.PerCall);
        return options;
    }

    public async Task<(string? Json, string? Version)> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var secret = await _secrets.GetSecretAsync(secretName, cancellationToken: cancellationToken);
            return (secret.Value.Value, null);
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return (null, null);
        }
    }

    public async Task<bool> TryWriteAsync(string json, string? version, CancellationToken cancellationToken)
    {
        await _secrets.SetSecretAsync(new KeyVaultSecret(secretName, json) { Properties = { ContentType = "application/json" } }, cancellationToken);
        return true;
    }
}
