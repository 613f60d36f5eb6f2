using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Registry.Options;
using Registry.Stores;

namespace Registry.Auth;

/// <summary>
/// The ES256 keys that sign tokens, each with a kid. Kept as one JSON document: a Key Vault secret in Azure
/// (Registry:Auth:KeyVaultUri), otherwise a blob of the registry container. The newest key signs; it is replaced
/// after SigningKeyRotation, and the two before it still validate tokens issued before the rotation.
/// Instances reread the document every minute, so a rotation made by one is soon known to all.
/// </summary>
public sealed class SigningKeyStore(ISigningKeyDocument store, IOptions<AuthOptions> options, TimeProvider time)
{
    private const int KeysKept = 3;
    private static readonly TimeSpan RereadAfter = TimeSpan.FromMinutes(1);

    private readonly AuthOptions _options = options.Value;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private KeySet? _keys;
    private DateTimeOffset _readAt;

    /// <summary>The key that signs new tokens.</summary>
    public async Task<ECDsaSecurityKey> GetSigningKeyAsync(CancellationToken cancellationToken = default) =>
        (await GetKeysAsync(cancellationToken))[0];

    /// <summary>When the key that signs tokens now was made.</summary>
    public async Task<DateTimeOffset> GetNewestCreatedAtAsync(CancellationToken cancellationToken = default)
    {
        await GetKeysAsync(cancellationToken);
        return _keys!.Keys[0].CreatedAt;
    }

    /// <summary>Every key that may validate a token, newest first.</summary>
    public async Task<IReadOnlyList<ECDsaSecurityKey>> GetKeysAsync(CancellationToken cancellationToken = default)
    {
        if (_keys is { } cached && time.GetUtcNow() - _readAt < RereadAfter && !NeedsRotation(cached))
        {
            return cached.Security;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            var (document, version) = await ReadAsync(cancellationToken);
            if (NeedsRotation(document))
            {
                document = Rotate(document);
                if (!await TryWriteAsync(document, version, cancellationToken))
                {
                    (document, _) = await ReadAsync(cancellationToken);   // another instance rotated first
                }
            }

            _keys = document;
            _readAt = time.GetUtcNow();
            return document.Security;
        }
        finally
        {
            _lock.Release();
        }
    }

    private bool NeedsRotation(KeySet keys) =>
        keys.Keys.Count == 0 || time.GetUtcNow() - keys.Keys[0].CreatedAt >= _options.SigningKeyRotation;

    private KeySet Rotate(KeySet keys)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new StoredKey
        {
            Kid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            CreatedAt = time.GetUtcNow(),
            PrivateKey = Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey()),
        };
        return new KeySet([key, .. keys.Keys.Take(KeysKept - 1)]);
    }

    private async Task<(KeySet Keys, string? Version)> ReadAsync(CancellationToken cancellationToken)
    {
        var (json, version) = await store.ReadAsync(cancellationToken);
        return (json is null ? new KeySet([]) : Parse(json), version);
    }

    private Task<bool> TryWriteAsync(KeySet keys, string? version, CancellationToken cancellationToken) =>
        store.TryWriteAsync(JsonSerializer.Serialize(keys.Keys), version, cancellationToken);

    private static KeySet Parse(string json) => new(JsonSerializer.Deserialize<List<StoredKey>>(json) ?? []);

    /// <summary>One stored key: its id, age and PKCS#8 private key.</summary>
    private sealed class StoredKey
    {
        [JsonPropertyName("kid")]
        public string Kid { get; set; } = "";

        [JsonPropertyName("createdAt")]
        public DateTimeOffset CreatedAt { get; set; }

        [JsonPropertyName("privateKey")]
        public string PrivateKey { get; set; } = "";
    }

    /// <summary>The stored keys, newest first, and their security keys.</summary>
    private sealed class KeySet(List<StoredKey> keys)
    {
        public List<StoredKey> Keys { get; } = keys.OrderByDescending(k => k.CreatedAt).ToList();

        public IReadOnlyList<ECDsaSecurityKey> Security { get; } = keys.OrderByDescending(k => k.CreatedAt).Select(ToSecurityKey).ToList();

        private static ECDsaSecurityKey ToSecurityKey(StoredKey key)
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(key.PrivateKey), out _);
            return new ECDsaSecurityKey(ecdsa) { KeyId = key.Kid };
        }
    }
}
