using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Registry.Trust;

/// <summary>A GUN's trust data as stored now: the current file of each role (delegations included).</summary>
public sealed record TrustState(IReadOnlyDictionary<string, TufFile> Current)
{
    public TufFile? this[string role] => Current.GetValueOrDefault(role);
}

/// <summary>
/// Validates an update of a GUN's trust data as a Notary server does (server/handlers/validation.go), and makes the
/// snapshot (when the server holds the snapshot key) and the timestamp that go with it. Root: signed by a threshold of
/// its own root keys, x509 certificates valid now whose common name is the GUN, and by a threshold of the previous
/// root's; its version one more than the stored one. Targets and delegations: signed by a threshold of the keys their
/// parent names, delegations only within the paths they were given. Snapshot: signed by its keys, naming root, targets
/// and every updated delegation by length and hashes. Every role: not expired, its version above the stored one.
/// </summary>
public static class TufValidator
{
    /// <summary>How long a snapshot the server makes is valid (Notary's default).</summary>
    public static readonly TimeSpan SnapshotLifetime = TimeSpan.FromDays(3 * 365);

    /// <summary>How long a timestamp is valid (Notary's default); the server makes a new one when it has expired.</summary>
    public static readonly TimeSpan TimestampLifetime = TimeSpan.FromDays(14);

    /// <summary>Most roles in one update.</summary>
    public const int MaxRoles = 30;

    /// <summary>
    /// The files to store for <paramref name="updates"/>: the updates themselves, in order, then the snapshot the server
    /// made (if it holds the key) and the new timestamp. Throws <see cref="TrustException"/> naming what is wrong.
    /// </summary>
    public static IReadOnlyList<TufFile> Validate(
        Gun gun, TrustState state, IReadOnlyDictionary<string, TufFile> updates, IReadOnlyDictionary<string, IReadOnlyList<ServerKey>> held, DateTimeOffset now)
    {
        foreach (var role in updates.Keys)
        {
            if (!TufRole.IsValid(role) || role == TufRole.Timestamp)
            {
                throw new TrustException(TrustErrorCode.InvalidRole, role == TufRole.Timestamp
                    ? "the server makes the timestamp; do not publish one"
                    : $"{role} is not a role name Notary accepts");
            }
        }

        if (updates.Count == 0 || updates.Count > MaxRoles)
        {
            throw new TrustException(TrustErrorCode.MalformedUpload, $"an update holds 1 to {MaxRoles} roles");
        }

        foreach (var (role, file) in updates)
        {
            if (state[role] is { } current && file.Version <= current.Version)
            {
                throw new TrustException(TrustErrorCode.OldVersion,
                    $"{role} version {file.Version} is not newer than the stored version {current.Version}", TrustValidation.Other);
            }
        }

        try
        {
            var root = updates.TryGetValue(TufRole.Root, out var newRoot) ? ValidateRoot(gun, state[TufRole.Root], newRoot, held, now)
                : state[TufRole.Root] ?? throw TrustException.BadHierarchy("no root is stored for this GUN and the update holds none");
            var rootKeys = root.RootKeys();
            var rootRoles = root.RootRoles();

            var result = new List<TufFile>();
            if (newRoot is not null)
            {
                result.Add(newRoot);
            }

            foreach (var role in updates.Keys.Where(TufRole.IsTargets).OrderBy(r => r.Count(c => c == '/')).ThenBy(r => r, StringComparer.Ordinal))
            {
                result.Add(ValidateTargets(updates[role], state, updates, rootKeys, rootRoles, now));
            }

            var snapshot = updates.TryGetValue(TufRole.Snapshot, out var newSnapshot)
                ? ValidateSnapshot(newSnapshot, state, updates, rootKeys, rootRoles, now)
                : MakeSnapshot(state, updates, rootRoles, held, now);
            result.Add(snapshot);
            result.Add(MakeTimestamp(snapshot, state[TufRole.Timestamp]?.Version ?? 0, rootRoles, held, now));
            return result;
        }
        catch (FormatException e)
        {
            throw new TrustException(TrustErrorCode.MalformedJson, e.Message);
        }
    }

    /// <summary>A new timestamp over the current snapshot, after <paramref name="previousVersion"/>.</summary>
    public static TufFile MakeTimestamp(TufFile snapshot, long previousVersion, IReadOnlyDictionary<string, RoleKeys> rootRoles,
        IReadOnlyDictionary<string, IReadOnlyList<ServerKey>> held, DateTimeOffset now)
    {
        var key = HeldKeyOf(TufRole.Timestamp, rootRoles, held)
            ?? throw TrustException.BadRoot("the root's timestamp role names no key this server holds; fetch timestamp.key and put it in the root");
        var meta = new Dictionary<string, FileMeta> { [TufRole.Snapshot] = FileMeta.Of(snapshot.Bytes) };
        return Sign(TufRole.Timestamp, previousVersion + 1, now + TimestampLifetime, meta, key);
    }

    /// <summary>The key this server holds that the root names for <paramref name="role"/> (threshold 1), or null.</summary>
    public static ServerKey? HeldKeyOf(string role, IReadOnlyDictionary<string, RoleKeys> rootRoles, IReadOnlyDictionary<string, IReadOnlyList<ServerKey>> held) =>
        rootRoles.TryGetValue(role, out var keys) && keys.Threshold == 1 && held.TryGetValue(role, out var mine)
            ? mine.FirstOrDefault(k => keys.KeyIds.Contains(k.Public.Id))
            : null;

    private static TufFile ValidateRoot(Gun gun, TufFile? previous, TufFile root, IReadOnlyDictionary<string, IReadOnlyList<ServerKey>> held, DateTimeOffset now)
    {
        if (previous is not null && root.Version != previous.Version + 1)
        {
            throw new TrustException(TrustErrorCode.OldVersion,
                $"a new root must have version {previous.Version + 1}, one more than the stored root", TrustValidation.Root);
        }

        IReadOnlyDictionary<string, TufKey> keys;
        IReadOnlyDictionary<string, RoleKeys> roles;
        try
        {
            keys = root.RootKeys();
            roles = root.RootRoles();
        }
        catch (FormatException e)
        {
            throw TrustException.BadRoot(e.Message);
        }

        foreach (var required in new[] { TufRole.Root, TufRole.Targets, TufRole.Snapshot, TufRole.Timestamp })
        {
            if (!roles.TryGetValue(required, out var role))
            {
                throw TrustException.BadRoot($"the root names no {required} role");
            }

            if (role.KeyIds.Any(id => !keys.ContainsKey(id)) || role.KeyIds.Count < role.Threshold)
            {
                throw TrustException.BadRoot($"the {required} role names keys the root does not hold, or fewer than its threshold");
            }
        }

        // trust pinning as Notary's TOFU: root keys are certificates for this GUN, valid now
        var gunName = gun.ToString();
        var rootRole = roles[TufRole.Root];
        var validRootKeys = new Dictionary<string, TufKey>();
        foreach (var id in rootRole.KeyIds)
        {
            var key = keys[id];
            if (!key.IsCertificate)
            {
                continue;
            }

            using var certificate = key.Certificate();
            if (certificate.GetNameInfo(X509NameType.SimpleName, false) == gunName && certificate.NotBefore <= now && now <= certificate.NotAfter)
            {
                validRootKeys[id] = key;
            }
        }

        if (validRootKeys.Count == 0)
        {
            throw TrustException.BadRoot($"no root key is a certificate for {gunName} valid now");
        }

        RequireThreshold(root, validRootKeys, rootRole, TrustValidation.Root);
        if (previous is not null)
        {
            RequireThreshold(root, previous.RootKeys(), previous.RootRoles()[TufRole.Root], TrustValidation.Root, " of the previous root");
        }

        RequireUnexpired(root, now, TrustValidation.Root);
        if (HeldKeyOf(TufRole.Timestamp, roles, held) is null)
        {
            throw TrustException.BadRoot("the root's timestamp role must be one key this server holds (threshold 1); fetch timestamp.key");
        }

        return root;
    }

    private static TufFile ValidateTargets(TufFile file, TrustState state, IReadOnlyDictionary<string, TufFile> updates,
        IReadOnlyDictionary<string, TufKey> rootKeys, IReadOnlyDictionary<string, RoleKeys> rootRoles, DateTimeOffset now)
    {
        try
        {
            IReadOnlyDictionary<string, TufKey> keys;
            RoleKeys role;
            if (file.Role == TufRole.Targets)
            {
                (keys, role) = (rootKeys, rootRoles[TufRole.Targets]);
            }
            else
            {
                var parentName = TufRole.ParentOf(file.Role);
                var parent = updates.GetValueOrDefault(parentName) ?? state[parentName]
                    ?? throw TrustException.BadHierarchy($"{file.Role} is delegated by {parentName}, which does not exist");
                role = parent.DelegationRoles().GetValueOrDefault(file.Role)
                    ?? throw TrustException.BadHierarchy($"{parentName} does not delegate to {file.Role}");
                keys = parent.DelegationKeys();
            }

            RequireThreshold(file, keys, role, TrustValidation.Targets);
            RequireUnexpired(file, now, TrustValidation.Targets);
            var targets = file.Targets();
            if (role.Paths is { } paths)
            {
                var outside = targets.Keys.FirstOrDefault(name => !paths.Any(p => name.StartsWith(p, StringComparison.Ordinal)));
                if (outside is not null)
                {
                    throw TrustException.BadTargets($"{file.Role} names the target {outside}, outside the paths it was delegated");
                }
            }

            var delegationKeys = file.DelegationKeys();
            foreach (var (name, delegation) in file.DelegationRoles())
            {
                if (!TufRole.IsDelegation(name) || TufRole.ParentOf(name) != file.Role)
                {
                    throw TrustException.BadTargets($"{file.Role} cannot delegate to {name}: a delegation is named under its parent");
                }

                if (delegation.KeyIds.Any(id => !delegationKeys.ContainsKey(id)))
                {
                    throw TrustException.BadTargets($"delegation {name} names keys {file.Role} does not hold");
                }
            }

            return file;
        }
        catch (FormatException e)
        {
            throw TrustException.BadTargets($"{file.Role}: {e.Message}");
        }
    }

    private static TufFile ValidateSnapshot(TufFile snapshot, TrustState state, IReadOnlyDictionary<string, TufFile> updates,
        IReadOnlyDictionary<string, TufKey> rootKeys, IReadOnlyDictionary<string, RoleKeys> rootRoles, DateTimeOffset now)
    {
        RequireThreshold(snapshot, rootKeys, rootRoles[TufRole.Snapshot], TrustValidation.Snapshot);
        RequireUnexpired(snapshot, now, TrustValidation.Snapshot);
        IReadOnlyDictionary<string, FileMeta> meta;
        try
        {
            meta = snapshot.Meta();
        }
        catch (FormatException e)
        {
            throw TrustException.BadSnapshot(e.Message);
        }

        var named = new List<TufFile>();
        foreach (var role in new[] { TufRole.Root, TufRole.Targets })
        {
            if ((updates.GetValueOrDefault(role) ?? state[role]) is { } file)
            {
                named.Add(file);
            }
        }

        named.AddRange(updates.Values.Where(f => TufRole.IsDelegation(f.Role)));
        foreach (var file in named)
        {
            if (!meta.TryGetValue(file.Role, out var entry))
            {
                throw TrustException.BadSnapshot($"the snapshot does not name {file.Role}");
            }

            if (!entry.Matches(file.Bytes))
            {
                throw TrustException.BadSnapshot($"the snapshot's length or hashes of {file.Role} do not match its file");
            }
        }

        return snapshot;
    }

    private static TufFile MakeSnapshot(TrustState state, IReadOnlyDictionary<string, TufFile> updates, IReadOnlyDictionary<string, RoleKeys> rootRoles,
        IReadOnlyDictionary<string, IReadOnlyList<ServerKey>> held, DateTimeOffset now)
    {
        var key = HeldKeyOf(TufRole.Snapshot, rootRoles, held)
            ?? throw TrustException.BadHierarchy("the update holds no snapshot and the root's snapshot key is not one this server holds");
        var meta = new Dictionary<string, FileMeta>(StringComparer.Ordinal);
        foreach (var (role, file) in state.Current)
        {
            if (TufRole.IsTargets(role) || role == TufRole.Root)
            {
                meta[role] = FileMeta.Of(file.Bytes);
            }
        }

        foreach (var (role, file) in updates)
        {
            meta[role] = FileMeta.Of(file.Bytes);
        }

        // a delegation its parent no longer names leaves the snapshot
        var targets = updates.GetValueOrDefault(TufRole.Targets) ?? state[TufRole.Targets];
        foreach (var role in meta.Keys.Where(TufRole.IsDelegation).ToList())
        {
            var parent = updates.GetValueOrDefault(TufRole.ParentOf(role)) ?? state[TufRole.ParentOf(role)];
            if (parent is null || targets is null || !parent.DelegationRoles().ContainsKey(role))
            {
                meta.Remove(role);
            }
        }

        return Sign(TufRole.Snapshot, (state[TufRole.Snapshot]?.Version ?? 0) + 1, now + SnapshotLifetime, meta, key);
    }

    private static void RequireThreshold(TufFile file, IReadOnlyDictionary<string, TufKey> keys, RoleKeys role, TrustValidation validation, string whose = "")
    {
        var valid = new HashSet<string>(StringComparer.Ordinal);
        foreach (var signature in file.Signatures)
        {
            if (role.KeyIds.Contains(signature.KeyId) && keys.TryGetValue(signature.KeyId, out var key)
                && key.Verify(signature.Method, signature.Value, file.Canonical))
            {
                valid.Add(signature.KeyId);
            }
        }

        if (valid.Count < role.Threshold)
        {
            throw new TrustException(TrustErrorCode.InvalidUpdate,
                $"{file.Role} has {valid.Count} valid signature(s) by the keys{whose} of its role, and its threshold is {role.Threshold}", validation);
        }
    }

    private static void RequireUnexpired(TufFile file, DateTimeOffset now, TrustValidation validation)
    {
        if (file.Expires <= now)
        {
            throw new TrustException(TrustErrorCode.InvalidUpdate, $"{file.Role} expired at {file.Expires:O}", validation);
        }
    }

    /// <summary>Makes and signs a snapshot or timestamp file, in canonical JSON.</summary>
    private static TufFile Sign(string role, long version, DateTimeOffset expires, IReadOnlyDictionary<string, FileMeta> meta, ServerKey key)
    {
        var signed = new StringBuilder();
        signed.Append(CultureInfo.InvariantCulture, $"{{\"_type\":\"{TufRole.TypeOf(role)}\",\"expires\":\"{expires.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'}\",\"meta\":{{");
        var first = true;
        foreach (var (name, entry) in meta.OrderBy(m => Encoding.UTF8.GetBytes(m.Key), ByteOrder.Instance))
        {
            signed.Append(first ? "" : ",");
            first = false;
            signed.Append(CultureInfo.InvariantCulture, $"\"{name}\":{{\"hashes\":{{");
            signed.Append(string.Join(",", entry.Hashes.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"\"{h.Key}\":\"{Convert.ToBase64String(h.Value)}\"")));
            signed.Append(CultureInfo.InvariantCulture, $"}},\"length\":{entry.Length}}}");
        }

        signed.Append(CultureInfo.InvariantCulture, $"}},\"version\":{version}}}");
        var canonical = Encoding.UTF8.GetBytes(signed.ToString());
        var signature = Convert.ToBase64String(key.Sign(canonical));
        var file = $"{{\"signatures\":[{{\"keyid\":\"{key.Public.Id}\",\"method\":\"ecdsa\",\"sig\":\"{signature}\"}}],\"signed\":{signed}}}";
        return TufFile.Parse(role, Encoding.UTF8.GetBytes(file));
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
