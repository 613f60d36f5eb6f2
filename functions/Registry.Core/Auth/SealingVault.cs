using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Stores;

namespace Registry.Auth;

/// <summary>
/// Seals secrets the registry keeps in its tables (the timestamp and snapshot keys it holds for GUNs, webhook secrets)
/// with AES-256-GCM under one key that is kept apart from them: a Key Vault secret in Azure, a blob of the key area
/// locally, made at first use and written only if nobody wrote it first (as the token keys are). A sealed secret is
/// bound to a context (what it is the secret of), so it cannot be moved to another record.
/// </summary>
public sealed class SealingVault([FromKeyedServices(SealingVault.DocumentKey)] ISigningKeyDocument document)
{
    /// <summary>The service key of the document that holds the sealing key.</summary>
    public const string DocumentKey = "trust-keys";

    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private byte[]? _key;

    /// <summary>nonce, ciphertext, tag.</summary>
    public async Task<byte[]> SealAsync(byte[] plain, string context, CancellationToken cancellationToken = default)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var sealedBytes = new byte[NonceSize + plain.Length + TagSize];
        using var aes = new AesGcm(await GetKeyAsync(cancellationToken), TagSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length), Encoding.UTF8.GetBytes(context));
        nonce.CopyTo(sealedBytes, 0);
        return sealedBytes;
    }

    /// <summary>The secret, or a <see cref="CryptographicException"/> when the bytes were not sealed here for this context.</summary>
    public async Task<byte[]> OpenAsync(byte[] sealedBytes, string context, CancellationToken cancellationToken = default)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("a sealed secret is too short");
        }

        var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(await GetKeyAsync(cancellationToken), TagSize);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length), plain,
            Encoding.UTF8.GetBytes(context));
        return plain;
    }

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
            _key = key is null ? throw new InvalidOperationException("the sealing key document holds no key") : Convert.FromBase64String(key);
            return _key;
        }
        finally
        {
            _lock.Release();
        }
    }
}
