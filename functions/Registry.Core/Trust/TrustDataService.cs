using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Stores;

namespace Registry.Trust;

/// <summary>A metadata file as served: its bytes, and whether its name fixes its content (by version or checksum).</summary>
public sealed record TrustFileAnswer(byte[] Bytes, bool Immutable);

/// <summary>A target that trust data names for a tag: the digest and size it was signed with, and by which role.</summary>
public sealed record SignedTarget(string Role, string Sha256Hex, long Length);

/// <summary>
/// The Notary server API of a GUN (notary server/handlers): fetch metadata by role, version or checksum, publish an
/// update (validated by <see cref="TufValidator"/> and committed all or nothing), the server-held timestamp and
/// snapshot keys, and deleting a GUN's trust data. Also what the rest of the registry asks of trust data: which tags
/// it names, and which delegation keys signed a digest.
/// </summary>
public sealed partial class TrustDataService(
    ITrustDataStore store, IMetadataStore metadata, Auth.SealingVault vault, IMemoryCache cache, TimeProvider time, IOptions<RegistryOptions> registry)
{
    /// <summary>The roles whose targets tag listings and the tag guard read (DTR: targets, or targets/releases).</summary>
    public static readonly IReadOnlyList<string> TagRoles = [TufRole.Targets, TufRole.Releases];

    /// <summary>Most server keys kept per role of a GUN besides those its root names (rotations make new ones).</summary>
    private const int SpareKeys = 4;

    private const int CachedFileLimit = 256 * 1024;

    private readonly TimeSpan _metadataLifetime = registry.Value.MetadataCacheLifetime;

    /// <summary>Serves <c>&lt;role&gt;.json</c>, <c>&lt;version&gt;.&lt;role&gt;.json</c> or <c>&lt;role&gt;.&lt;sha256&gt;.json</c>.</summary>
    public async Task<TrustFileAnswer> GetFileAsync(Gun gun, string file, CancellationToken cancellationToken = default)
    {
        var m = FileGrammar().Match(file);
        var role = m.Success ? m.Groups["role"].Value : "";
        if (!TufRole.IsValid(role))
        {
            throw new TrustException(TrustErrorCode.InvalidRole, $"{file} names no role");
        }

        if (m.Groups["sha"].Success)
        {
            var sha = m.Groups["sha"].Value;
            return await store.HasChecksumAsync(gun, role, sha, cancellationToken)
                ? new TrustFileAnswer(await ReadAsync(gun, role, sha, cancellationToken), true)
                : throw TrustException.NotFound($"no {role} with checksum {sha}");
        }

        if (m.Groups["version"].Success)
        {
            var version = long.TryParse(m.Groups["version"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1;
            var sha = await store.FindVersionAsync(gun, role, version, cancellationToken)
                ?? throw TrustException.NotFound($"no version {m.Groups["version"].Value} of {role}");
            return new TrustFileAnswer(await ReadAsync(gun, role, sha, cancellationToken), true);
        }

        var pointer = await store.GetCurrentAsync(gun, role, cancellationToken) ?? throw TrustException.NotFound($"{gun} has no {role}");
        var bytes = await ReadAsync(gun, role, pointer.Sha256, cancellationToken);
        if (role == TufRole.Timestamp && TufFile.Parse(role, bytes).Expires <= time.GetUtcNow())
        {
            bytes = await RenewTimestampAsync(gun, await store.GetCurrentAsync(gun, cancellationToken), cancellationToken) ?? bytes;
        }

        return new TrustFileAnswer(bytes, false);
    }

    /// <summary>Validates and commits an update (the files of a multipart publish, by role).</summary>
    public async Task PublishAsync(Gun gun, IReadOnlyDictionary<string, byte[]> files, CancellationToken cancellationToken = default)
    {
        var updates = new Dictionary<string, TufFile>(StringComparer.Ordinal);
        foreach (var (role, bytes) in files)
        {
            if (!TufRole.IsValid(role))
            {
                throw new TrustException(TrustErrorCode.InvalidRole, $"{role} is not a role name Notary accepts");
            }

            updates[role] = TufFile.Parse(role, bytes);
        }

        var current = await store.GetCurrentAsync(gun, cancellationToken);
        var state = await LoadStateAsync(gun, current, cancellationToken);
        var held = await LoadHeldKeysAsync(gun, cancellationToken);
        var made = TufValidator.Validate(gun, state, updates, held, time.GetUtcNow());

        // trust data belongs to its repository, which publishing makes as a push does: deleting the repository deletes
        // it, and a namespace with trust data cannot be deleted and taken again with the data left behind
        await metadata.EnsureRepositoryAsync(gun.Repository, cancellationToken);
        await CommitAsync(gun, current, made, cancellationToken);
    }

    /// <summary>The public key of the server's key for a GUN's timestamp or snapshot role: the one its root names, else the newest, else a new one.</summary>
    public async Task<string> GetKeyAsync(Gun gun, string role, CancellationToken cancellationToken = default)
    {
        RequireServerRole(role);
        var keys = await store.ListKeysAsync(gun, role, cancellationToken);
        if (keys.Count == 0)
        {
            return await CreateKeyAsync(gun, role, cancellationToken);
        }

        var named = await RootKeyIdsAsync(gun, role, cancellationToken);
        var key = keys.FirstOrDefault(k => named.Contains(k.KeyId)) ?? keys.MaxBy(k => k.CreatedAt)!;
        using var opened = await OpenKeyAsync(gun, key, cancellationToken);
        return opened.Public.ToJson();
    }

    /// <summary>Makes a new server key for the role (the client then publishes a root naming it) and answers its public key.</summary>
    public async Task<string> RotateKeyAsync(Gun gun, string role, CancellationToken cancellationToken = default)
    {
        RequireServerRole(role);
        var named = await RootKeyIdsAsync(gun, role, cancellationToken);
        var spare = (await store.ListKeysAsync(gun, role, cancellationToken)).Where(k => !named.Contains(k.KeyId)).OrderByDescending(k => k.CreatedAt).ToList();
        foreach (var old in spare.Skip(SpareKeys - 1))
        {
            await store.DeleteKeyAsync(gun, role, old.KeyId, cancellationToken);
        }

        return await CreateKeyAsync(gun, role, cancellationToken);
    }

    /// <summary>Deletes all trust data of a GUN (<c>notary delete --remote</c>); the server keeps its keys for the GUN, as Notary does.</summary>
    public async Task DeleteAsync(Gun gun, CancellationToken cancellationToken = default)
    {
        await store.DeleteAsync(gun, cancellationToken);
        cache.Remove(TagsKey(gun.Repository));
    }

    /// <summary>Deletes the trust data of every GUN of a repository (with the repository: a new one of its name starts without).</summary>
    public async Task DeleteRepositoryAsync(RepositoryName repository, CancellationToken cancellationToken = default)
    {
        await store.DeleteRepositoryAsync(repository, cancellationToken);
        cache.Remove(TagsKey(repository));
    }

    /// <summary>
    /// The targets that trust data names per tag (targets and targets/releases of every GUN of the repository), read at
    /// most once per Registry:MetadataCacheLifetime, at once after a change on this instance.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<SignedTarget>>> ListSignedTagsAsync(RepositoryName repository, CancellationToken cancellationToken = default) =>
        (await cache.GetOrCreateAsync(TagsKey(repository), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = _metadataLifetime;
            var tags = new Dictionary<string, List<SignedTarget>>(StringComparer.Ordinal);
            foreach (var (file, _) in await ReadCurrentAsync(repository, TagRoles.Contains, cancellationToken))
            {
                foreach (var (name, meta) in file.Targets())
                {
                    if (meta.Sha256Hex is { } sha)
                    {
                        (tags.TryGetValue(name, out var list) ? list : tags[name] = []).Add(new SignedTarget(file.Role, sha, meta.Length));
                    }
                }
            }

            return (IReadOnlyDictionary<string, IReadOnlyList<SignedTarget>>)tags.ToDictionary(t => t.Key, t => (IReadOnlyList<SignedTarget>)t.Value, StringComparer.Ordinal);
        }))!;

    /// <summary>The keys of the delegation roles whose current targets name <paramref name="digest"/> (with <paramref name="size"/>, when given).</summary>
    public async Task<IReadOnlyList<TufKey>> FindDelegationSignersAsync(RepositoryName repository, Digest digest, long? size, CancellationToken cancellationToken = default)
    {
        var hex = digest.Hex;
        var signers = new List<TufKey>();
        var files = await ReadCurrentAsync(repository, r => TufRole.IsTargets(r), cancellationToken);
        foreach (var (file, gun) in files.Where(f => TufRole.IsDelegation(f.File.Role)))
        {
            if (!file.Targets().Values.Any(t => t.Sha256Hex == hex && (size is null || t.Length == size)))
            {
                continue;
            }

            var parent = files.FirstOrDefault(f => f.Gun == gun && f.File.Role == TufRole.ParentOf(file.Role)).File;
            if (parent?.DelegationRoles().GetValueOrDefault(file.Role) is { } role)
            {
                var keys = parent.DelegationKeys();
                signers.AddRange(role.KeyIds.Select(keys.GetValueOrDefault).OfType<TufKey>());
            }
        }

        return signers;
    }

    private async Task<IReadOnlyList<(TufFile File, Gun Gun)>> ReadCurrentAsync(RepositoryName repository, Func<string, bool> roles, CancellationToken cancellationToken)
    {
        var files = new List<(TufFile, Gun)>();
        foreach (var (gun, pointer) in await store.ListCurrentAsync(repository, roles, cancellationToken))
        {
            files.Add((TufFile.Parse(pointer.Role, await ReadAsync(gun, pointer.Role, pointer.Sha256, cancellationToken)), gun));
        }

        return files;
    }

    private async Task CommitAsync(Gun gun, IReadOnlyDictionary<string, TrustPointer> current, IReadOnlyList<TufFile> files, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            await store.WriteFileAsync(gun, file.Role, file.Sha256Hex, file.Bytes, cancellationToken);
        }

        var pointers = files.Select(f => new TrustPointer(f.Role, f.Version, f.Sha256Hex, f.Bytes.Length, current.GetValueOrDefault(f.Role)?.ETag)).ToList();
        if (!await store.CommitAsync(gun, pointers, cancellationToken))
        {
            throw new TrustException(TrustErrorCode.OldVersion, "another update of this GUN was committed first; update and publish again", TrustValidation.Other);
        }

        cache.Remove(TagsKey(gun.Repository));
    }

    /// <summary>A new timestamp for an expired one; null when another instance renewed it first or the server cannot sign.</summary>
    private async Task<byte[]?> RenewTimestampAsync(Gun gun, IReadOnlyDictionary<string, TrustPointer> current, CancellationToken cancellationToken)
    {
        if (current.GetValueOrDefault(TufRole.Root) is not { } rootPointer || current.GetValueOrDefault(TufRole.Snapshot) is not { } snapshotPointer)
        {
            return null;
        }

        var root = TufFile.Parse(TufRole.Root, await ReadAsync(gun, TufRole.Root, rootPointer.Sha256, cancellationToken));
        var snapshot = TufFile.Parse(TufRole.Snapshot, await ReadAsync(gun, TufRole.Snapshot, snapshotPointer.Sha256, cancellationToken));
        var timestamp = TufValidator.MakeTimestamp(snapshot, current[TufRole.Timestamp].Version, root.RootRoles(), await LoadHeldKeysAsync(gun, cancellationToken), time.GetUtcNow());
        await store.WriteFileAsync(gun, timestamp.Role, timestamp.Sha256Hex, timestamp.Bytes, cancellationToken);
        var pointer = new TrustPointer(TufRole.Timestamp, timestamp.Version, timestamp.Sha256Hex, timestamp.Bytes.Length, current[TufRole.Timestamp].ETag);
        return await store.CommitAsync(gun, [pointer], cancellationToken) ? timestamp.Bytes : null;
    }

    private async Task<TrustState> LoadStateAsync(Gun gun, IReadOnlyDictionary<string, TrustPointer> current, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, TufFile>(StringComparer.Ordinal);
        foreach (var (role, pointer) in current)
        {
            files[role] = TufFile.Parse(role, await ReadAsync(gun, role, pointer.Sha256, cancellationToken));
        }

        return new TrustState(files);
    }

    private async Task<IReadOnlyDictionary<string, IReadOnlyList<ServerKey>>> LoadHeldKeysAsync(Gun gun, CancellationToken cancellationToken)
    {
        var held = new Dictionary<string, IReadOnlyList<ServerKey>>();
        foreach (var role in new[] { TufRole.Timestamp, TufRole.Snapshot })
        {
            var keys = new List<ServerKey>();
            foreach (var stored in await store.ListKeysAsync(gun, role, cancellationToken))
            {
                keys.Add(await OpenKeyAsync(gun, stored, cancellationToken));
            }

            held[role] = keys;
        }

        return held;
    }

    private async Task<IReadOnlySet<string>> RootKeyIdsAsync(Gun gun, string role, CancellationToken cancellationToken)
    {
        var current = await store.GetCurrentAsync(gun, cancellationToken);
        if (current.GetValueOrDefault(TufRole.Root) is not { } pointer)
        {
            return new HashSet<string>();
        }

        var root = TufFile.Parse(TufRole.Root, await ReadAsync(gun, TufRole.Root, pointer.Sha256, cancellationToken));
        return root.RootRoles().GetValueOrDefault(role)?.KeyIds.ToHashSet(StringComparer.Ordinal) ?? [];
    }

    private async Task<string> CreateKeyAsync(Gun gun, string role, CancellationToken cancellationToken)
    {
        using var key = ServerKey.Create();
        var plain = key.ExportPkcs8();
        var sealedKey = await vault.SealAsync(plain, KeyContext(gun, role, key.Public.Id), cancellationToken);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        await store.AddKeyAsync(gun, new StoredTrustKey(role, key.Public.Id, sealedKey, time.GetUtcNow()), cancellationToken);
        return key.Public.ToJson();
    }

    /// <summary>A server-held key, opened; a sealed key is bound to its GUN, role and key id.</summary>
    private async Task<ServerKey> OpenKeyAsync(Gun gun, StoredTrustKey stored, CancellationToken cancellationToken)
    {
        var plain = await vault.OpenAsync(stored.Sealed, KeyContext(gun, stored.Role, stored.KeyId), cancellationToken);
        var key = ServerKey.Import(plain);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        return key.Public.Id == stored.KeyId ? key : throw new System.Security.Cryptography.CryptographicException("a sealed key is not the key its id names");
    }

    private static string KeyContext(Gun gun, string role, string keyId) => $"{gun}\n{role}\n{keyId}";

    /// <summary>A stored file; files are immutable by checksum, so small ones are kept in memory.</summary>
    private async Task<byte[]> ReadAsync(Gun gun, string role, string sha256, CancellationToken cancellationToken)
    {
        var key = ("trust-file", gun.ToString(), role, sha256);
        if (cache.TryGetValue(key, out byte[]? known))
        {
            return known!;
        }

        var bytes = await store.ReadFileAsync(gun, role, sha256, cancellationToken)
            ?? throw TrustException.NotFound($"the {role} file {sha256} of {gun} is missing");
        if (bytes.Length <= CachedFileLimit)
        {
            cache.Set(key, bytes, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });
        }

        return bytes;
    }

    private static void RequireServerRole(string role)
    {
        if (role is not (TufRole.Timestamp or TufRole.Snapshot))
        {
            throw new TrustException(TrustErrorCode.InvalidRole, $"the server holds keys for timestamp and snapshot only, not {role}");
        }
    }

    private static (string, string) TagsKey(RepositoryName repository) => ("trust-tags", repository.Value);

    [GeneratedRegex(@"^(?:(?<version>[0-9]{1,19})\.)?(?<role>[-a-z0-9_/]+?)(?:\.(?<sha>[0-9a-f]{64}))?\.json$", RegexOptions.CultureInvariant)]
    private static partial Regex FileGrammar();
}
