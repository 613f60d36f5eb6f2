using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Registry.Trust;

/// <summary>The TUF roles of a Notary repository: the four top-level ones and delegations under <c>targets/</c>.</summary>
public static partial class TufRole
{
    public const string Root = "root";
    public const string Targets = "targets";
    public const string Snapshot = "snapshot";
    public const string Timestamp = "timestamp";

    /// <summary>The delegation DTR's UI and signed-only deploys read first.</summary>
    public const string Releases = "targets/releases";

    /// <summary>A top-level role or a delegation name Notary accepts (lower case, <c>[-a-z0-9_]</c> segments, under 256 characters).</summary>
    public static bool IsValid(string role) => role is Root or Targets or Snapshot or Timestamp || IsDelegation(role);

    public static bool IsDelegation(string role) => role.Length < 256 && DelegationGrammar().IsMatch(role);

    /// <summary>Whether the role's files are targets metadata (targets or a delegation).</summary>
    public static bool IsTargets(string role) => role == Targets || IsDelegation(role);

    /// <summary>The role that delegates to a delegation: its name without the last segment.</summary>
    public static string ParentOf(string delegation) => delegation[..delegation.LastIndexOf('/')];

    /// <summary>The <c>_type</c> a role's metadata carries.</summary>
    public static string TypeOf(string role) => role switch
    {
        Root => "Root",
        Snapshot => "Snapshot",
        Timestamp => "Timestamp",
        _ => "Targets",
    };

    [GeneratedRegex("^targets(/[-a-z0-9_]+)+$", RegexOptions.CultureInvariant)]
    private static partial Regex DelegationGrammar();
}

/// <summary>The keys and threshold of a role (and, for a delegation, the target paths it may sign).</summary>
public sealed record RoleKeys(IReadOnlyList<string> KeyIds, int Threshold, IReadOnlyList<string>? Paths = null);

/// <summary>The length and hashes by which one metadata file or target is named (TUF FileMeta).</summary>
public sealed record FileMeta(long Length, IReadOnlyDictionary<string, byte[]> Hashes)
{
    /// <summary>The hex SHA-256 when given.</summary>
    public string? Sha256Hex => Hashes.TryGetValue("sha256", out var h) ? Convert.ToHexStringLower(h) : null;

    /// <summary>The meta of some bytes with the hashes Notary writes (sha256 and sha512).</summary>
    public static FileMeta Of(byte[] bytes) => new(bytes.Length, new Dictionary<string, byte[]>
    {
        ["sha256"] = SHA256.HashData(bytes),
        ["sha512"] = SHA512.HashData(bytes),
    });

    /// <summary>True when the bytes have this length and every known hash given (at least one) matches.</summary>
    public bool Matches(byte[] bytes)
    {
        var known = 0;
        foreach (var (algorithm, hash) in Hashes)
        {
            byte[]? actual = algorithm switch
            {
                "sha256" => SHA256.HashData(bytes),
                "sha512" => SHA512.HashData(bytes),
                _ => null,
            };
            if (actual is null)
            {
                continue;
            }

            known++;
            if (!CryptographicOperations.FixedTimeEquals(actual, hash))
            {
                return false;
            }
        }

        return known > 0 && Length == bytes.Length;
    }

    public static FileMeta Parse(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("length", out var length) || !length.TryGetInt64(out var n) || n < 0
            || !element.TryGetProperty("hashes", out var hashes) || hashes.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{what} needs a length and hashes");
        }

        var parsed = new Dictionary<string, byte[]>();
        foreach (var hash in hashes.EnumerateObject())
        {
            parsed[hash.Name] = hash.Value.ValueKind == JsonValueKind.String
                ? Convert.FromBase64String(hash.Value.GetString()!)
                : throw new FormatException($"the {hash.Name} hash of {what} is not base64");
        }

        if (parsed.TryGetValue("sha256", out var sha256) && sha256.Length != 32 || parsed.TryGetValue("sha512", out var sha512) && sha512.Length != 64)
        {
            throw new FormatException($"a hash of {what} has the wrong length");
        }

        return new FileMeta(n, parsed);
    }
}

/// <summary>One signature of a metadata file.</summary>
public sealed record TufSignature(string KeyId, string Method, byte[] Value);

/// <summary>
/// One signed TUF metadata file as published: the exact bytes, the <c>signed</c> object and its canonical bytes (what the
/// signatures cover), the common fields, and the parts of each role's kind this server checks.
/// </summary>
public sealed class TufFile
{
    /// <summary>Most keys one file may list, and most signatures it may carry: each is read or checked.</summary>
    public const int MaxKeys = 256;

    public const int MaxSignatures = 64;

    private TufFile(string role, byte[] bytes, JsonElement signed, byte[] canonical, long version, DateTimeOffset expires, IReadOnlyList<TufSignature> signatures)
    {
        Role = role;
        Bytes = bytes;
        Signed = signed;
        Canonical = canonical;
        Version = version;
        Expires = expires;
        Signatures = signatures;
        Sha256Hex = Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public string Role { get; }

    public byte[] Bytes { get; }

    public JsonElement Signed { get; }

    public byte[] Canonical { get; }

    public long Version { get; }

    public DateTimeOffset Expires { get; }

    public IReadOnlyList<TufSignature> Signatures { get; }

    public string Sha256Hex { get; }

    /// <summary>Reads a metadata file of <paramref name="role"/>; a malformed one throws MALFORMED_JSON (or the validation error for its role).</summary>
    public static TufFile Parse(string role, byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("signed", out var signedProperty) || signedProperty.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("metadata needs a signed object and a signatures list");
            }

            var signed = signedProperty.Clone();
            var type = signed.TryGetProperty("_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type != TufRole.TypeOf(role))
            {
                throw new FormatException($"{role} metadata must have _type {TufRole.TypeOf(role)}, not {type ?? "none"}");
            }

            if (!signed.TryGetProperty("version", out var v) || !v.TryGetInt64(out var version) || version < 1)
            {
                throw new FormatException("version must be a positive integer");
            }

            if (!signed.TryGetProperty("expires", out var e) || e.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(e.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expires))
            {
                throw new FormatException("expires must be a time");
            }

            if (signatures.GetArrayLength() > MaxSignatures)
            {
                throw new FormatException($"metadata carries at most {MaxSignatures} signatures");
            }

            var list = new List<TufSignature>();
            foreach (var s in signatures.EnumerateArray())
            {
                if (s.ValueKind != JsonValueKind.Object || !s.TryGetProperty("keyid", out var id) || id.ValueKind != JsonValueKind.String
                    || !s.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String
                    || !s.TryGetProperty("sig", out var sig) || sig.ValueKind != JsonValueKind.String)
                {
                    throw new FormatException("a signature needs keyid, method and sig");
                }

                list.Add(new TufSignature(id.GetString()!, method.GetString()!, Convert.FromBase64String(sig.GetString()!)));
            }

            return new TufFile(role, bytes, signed, CanonicalJson.Serialize(signed), version, expires, list);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new TrustException(TrustErrorCode.MalformedJson, $"{role}: {ex.Message}");
        }
    }

    /// <summary>The keys of a root file by id; each id must be the id of its key.</summary>
    public IReadOnlyDictionary<string, TufKey> RootKeys() => Keys(Property("keys"), "root keys");

    /// <summary>The top-level roles of a root file.</summary>
    public IReadOnlyDictionary<string, RoleKeys> RootRoles()
    {
        var roles = new Dictionary<string, RoleKeys>();
        foreach (var role in Object(Property("roles"), "roles").EnumerateObject())
        {
            roles[role.Name] = ParseRole(role.Value, role.Name, withPaths: false);
        }

        return roles;
    }

    /// <summary>The targets a targets file names, by name.</summary>
    public IReadOnlyDictionary<string, FileMeta> Targets()
    {
        var targets = new Dictionary<string, FileMeta>(StringComparer.Ordinal);
        foreach (var target in Object(Property("targets"), "targets").EnumerateObject())
        {
            targets[target.Name] = FileMeta.Parse(target.Value, $"target {target.Name}");
        }

        return targets;
    }

    /// <summary>The delegation keys of a targets file (none when it delegates nothing).</summary>
    public IReadOnlyDictionary<string, TufKey> DelegationKeys() =>
        Signed.TryGetProperty("delegations", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("keys", out var keys)
            ? Keys(keys, "delegation keys")
            : new Dictionary<string, TufKey>();

    /// <summary>The delegations of a targets file, by role name.</summary>
    public IReadOnlyDictionary<string, RoleKeys> DelegationRoles()
    {
        var roles = new Dictionary<string, RoleKeys>(StringComparer.Ordinal);
        if (!Signed.TryGetProperty("delegations", out var d) || d.ValueKind != JsonValueKind.Object || !d.TryGetProperty("roles", out var list))
        {
            return roles;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("delegations.roles must be a list");
        }

        foreach (var role in list.EnumerateArray())
        {
            var name = role.ValueKind == JsonValueKind.Object && role.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                ? n.GetString()!
                : throw new FormatException("a delegation needs a name");
            if (!roles.TryAdd(name, ParseRole(role, name, withPaths: true)))
            {
                throw new FormatException($"delegation {name} appears twice");
            }
        }

        return roles;
    }

    /// <summary>The meta of a snapshot (roles) or a timestamp (the snapshot) file.</summary>
    public IReadOnlyDictionary<string, FileMeta> Meta()
    {
        var meta = new Dictionary<string, FileMeta>(StringComparer.Ordinal);
        foreach (var entry in Object(Property("meta"), "meta").EnumerateObject())
        {
            meta[entry.Name] = FileMeta.Parse(entry.Value, $"the meta of {entry.Name}");
        }

        return meta;
    }

    private JsonElement Property(string name) =>
        Signed.TryGetProperty(name, out var value) ? value : throw new FormatException($"{Role} metadata has no {name}");

    private static JsonElement Object(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Object ? element : throw new FormatException($"{what} must be an object");

    private static Dictionary<string, TufKey> Keys(JsonElement element, string what)
    {
        var keys = new Dictionary<string, TufKey>(StringComparer.Ordinal);
        foreach (var entry in Object(element, what).EnumerateObject())
        {
            if (keys.Count == MaxKeys)
            {
                throw new FormatException($"{what}: at most {MaxKeys} keys");
            }

            var key = TufKey.Parse(entry.Value);
            if (key.Id != entry.Name)
            {
                throw new FormatException($"key id {entry.Name} is not the id of its key ({key.Id})");
            }

            keys[entry.Name] = key;
        }

        return keys;
    }

    private static RoleKeys ParseRole(JsonElement role, string name, bool withPaths)
    {
        if (role.ValueKind != JsonValueKind.Object || !role.TryGetProperty("keyids", out var ids) || ids.ValueKind != JsonValueKind.Array
            || !role.TryGetProperty("threshold", out var t) || !t.TryGetInt32(out var threshold) || threshold < 1)
        {
            throw new FormatException($"role {name} needs keyids and a threshold of at least 1");
        }

        var keyIds = ids.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.String ? i.GetString()! : throw new FormatException("a key id must be text")).ToList();
        if (keyIds.Distinct(StringComparer.Ordinal).Count() != keyIds.Count)
        {
            throw new FormatException($"role {name} names a key twice");
        }

        IReadOnlyList<string>? paths = null;
        if (withPaths)
        {
            if (role.TryGetProperty("path_hash_prefixes", out var prefixes) && prefixes.ValueKind == JsonValueKind.Array && prefixes.GetArrayLength() > 0)
            {
                throw new FormatException($"delegation {name}: path_hash_prefixes are not supported, use paths");
            }

            paths = role.TryGetProperty("paths", out var p) && p.ValueKind == JsonValueKind.Array
                ? p.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.String ? i.GetString()! : throw new FormatException("a path must be text")).ToList()
                : [];
        }

        return new RoleKeys(keyIds, threshold, paths);
    }
}
