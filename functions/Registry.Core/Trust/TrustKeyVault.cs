using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Stores;

namespace Registry.Trust;

/// <summary>
/// Seals the private keys the server holds for GUNs (timestamp and snapshot keys) with AES-256-GCM under one key that is
/// kept apart from the trust data: a Key Vault secret in Azure, a blob of the key area locally, made at first use and
/// written only if nobody wrote it first (as the token keys are). A sealed key is bound to its GUN, role and key id.
/// </summary>
public sealed class TrustKeyVault([FromKeyedServices(TrustKeyVault.DocumentKey)] ISigningKeyDocument document)
{
    /// <summary>The service key of the document that holds the sealing key.</summary>
    public const string DocumentKey = "trust-keys";

    private readonly SemaphoreSlim _lock = new(1, 1);
    private byte[]? _key;

    public async Task<byte[]> SealAsync(Gun gun, string role, ServerKey key, CancellationToken cancellationToken = default)
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var plain = key.ExportPkcs8();
        var sealedKey = new byte[12 + plain.Length + 16];
        using var aes = new AesGcm(await GetKeyAsync(cancellationToken), 16);
        aes.Encrypt(nonce, plain, sealedKey.AsSpan(12, plain.Length), sealedKey.AsSpan(12 + plain.Length), Context(gun, role, key.Public.Id));
        nonce.CopyTo(sealedKey, 0);
        CryptographicOperations.ZeroMemory(plain);
        return sealedKey;
    }

    public async Task<ServerKey> OpenAsync(Gun gun, StoredTrustKey stored, CancellationToken cancellationToken = default)
    {
        var s = stored.Sealed;
        if (s.Length < 12 + 16)
        {
            throw new CryptographicException("a sealed key is too short");
        }

        var plain = new byte[s.Length - 28];
        using var aes = new AesGcm(await GetKeyAsync(cancellationToken), 16);
        aes.Decrypt(s.AsSpan(0, 12), s.AsSpan(12, plain.Length), s.AsSpan(12 + plain.Length), plain, Context(gun, stored.Role, stored.KeyId));
        var key = ServerKey.Import(plain);
        CryptographicOperations.ZeroMemory(plain);
        return key.Public.Id == stored.KeyId ? key : throw new CryptographicException("a sealed key is not the key its id names");
    }

    private static byte[] Context(Gun gun, string role, string keyId) => Encoding.UTF8.GetBytes($"{gun}\n{role}\n{keyId}");

    private async Task<byte[]> GetKeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } known)
        {
            return known;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            var (stored, version) = await document.ReadAsync(cancellationToken);
            if (stored is null)
            {
                var made = JsonSerializer.Serialize(new Dictionary<string, string> { ["key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
                if (!await document.TryWriteAsync(made, version, cancellationToken))
                {
                    (stored, _) = await document.ReadAsync(cancellationToken);   // another instance wrote first
                }

                stored ??= made;
            }

            var key = JsonSerializer.Deserialize<Dictionary<string, string>>(stored)?.GetValueOrDefault("key");
            _key = key is null ? throw new InvalidOperationException("the trust key document holds no key") : Convert.FromBase64String(key);
            return _key;
        }
        finally
        {
            _lock.Release();
        }
    }
}
