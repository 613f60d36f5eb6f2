using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Trust;

namespace Registry.Tests.Support;

/// <summary>A key of a test Notary repository: its TUF public key and the private key that signs for it.</summary>
public sealed record TufSigner(TufKey Public, ECDsa Private)
{
    /// <summary>A plain ECDSA P-256 key (type <c>ecdsa</c>).</summary>
    public static TufSigner Create()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new TufSigner(new TufKey(TufKey.Ecdsa, key.ExportSubjectPublicKeyInfo()), key);
    }

    /// <summary>A self-signed certificate key (type <c>ecdsa-x509</c>) whose common name is <paramref name="commonName"/>, as Notary's root keys are.</summary>
    public static TufSigner CreateCertificate(string commonName, DateTimeOffset? notAfter = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(10));
        return new TufSigner(new TufKey(TufKey.EcdsaX509, Encoding.ASCII.GetBytes(certificate.ExportCertificatePem())), key);
    }

    public string Id => Public.Id;

    public JsonNode KeyJson() => JsonNode.Parse(Public.ToJson())!;

    /// <summary>The public key as PEM (what a trust policy lists).</summary>
    public string PublicPem() => Private.ExportSubjectPublicKeyInfoPem();
}

/// <summary>
/// Makes the TUF metadata a Notary client publishes (root, targets, delegations, snapshot), signed over canonical JSON
/// with Notary's <c>ecdsa</c> method, and publishes it as the Notary client does: a multipart form, one part per role.
/// </summary>
public sealed class TufRepository(string gun)
{
    public string Gun { get; } = gun;

    public TufSigner Root { get; set; } = TufSigner.CreateCertificate(gun);

    public TufSigner Targets { get; } = TufSigner.Create();

    public TufSigner Snapshot { get; } = TufSigner.Create();

    /// <summary>The last root made, which snapshots name unless given another.</summary>
    public byte[]? RootBytes { get; private set; }

    public static string Expires(TimeSpan from) => (DateTimeOffset.UtcNow + from).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'");

    /// <summary>Root metadata naming the given keys per role (timestamp: the server's key).</summary>
    public byte[] MakeRoot(int version, TufKey timestampKey, IEnumerable<TufSigner>? signers = null, TufSigner? root = null,
        IReadOnlyList<TufSigner>? targets = null, int targetsThreshold = 1, TimeSpan? expiresIn = null, TufKey? snapshotKey = null)
    {
        root ??= Root;
        targets ??= [Targets];
        var keys = new JsonObject
        {
            [root.Id] = root.KeyJson(),
            [timestampKey.Id] = JsonNode.Parse(timestampKey.ToJson()),
        };
        var snapshotId = snapshotKey?.Id ?? Snapshot.Id;
        keys[snapshotId] = snapshotKey is null ? Snapshot.KeyJson() : JsonNode.Parse(snapshotKey.ToJson());
        foreach (var t in targets)
        {
            keys[t.Id] = t.KeyJson();
        }

        var signed = new JsonObject
        {
            ["_type"] = "Root",
            ["consistent_snapshot"] = false,
            ["expires"] = Expires(expiresIn ?? TimeSpan.FromDays(3650)),
            ["keys"] = keys,
            ["roles"] = new JsonObject
            {
                ["root"] = Role([root.Id], 1),
                ["targets"] = Role(targets.Select(t => t.Id), targetsThreshold),
                ["snapshot"] = Role([snapshotId], 1),
                ["timestamp"] = Role([timestampKey.Id], 1),
            },
            ["version"] = version,
        };
        RootBytes = Sign(signed, signers ?? [root]);
        return RootBytes;
    }

    /// <summary>Targets (or delegation) metadata naming <paramref name="targets"/> (name → content) and delegating <paramref name="delegations"/>.</summary>
    public static byte[] MakeTargets(int version, IReadOnlyDictionary<string, byte[]> targets, IEnumerable<TufSigner> signers,
        IReadOnlyDictionary<string, (TufSigner Key, string[] Paths)>? delegations = null, TimeSpan? expiresIn = null)
    {
        var targetsJson = new JsonObject();
        foreach (var (name, content) in targets)
        {
            targetsJson[name] = new JsonObject
            {
                ["hashes"] = new JsonObject { ["sha256"] = Convert.ToBase64String(SHA256.HashData(content)) },
                ["length"] = content.Length,
            };
        }

        var keys = new JsonObject();
        var roles = new JsonArray();
        foreach (var (name, (key, paths)) in delegations ?? new Dictionary<string, (TufSigner, string[])>())
        {
            keys[key.Id] = key.KeyJson();
            var role = Role([key.Id], 1);
            role["name"] = name;
            role["paths"] = new JsonArray(paths.Select(p => (JsonNode)p!).ToArray());
            roles.Add(role);
        }

        var signed = new JsonObject
        {
            ["_type"] = "Targets",
            ["delegations"] = new JsonObject { ["keys"] = keys, ["roles"] = roles },
            ["expires"] = Expires(expiresIn ?? TimeSpan.FromDays(1095)),
            ["targets"] = targetsJson,
            ["version"] = version,
        };
        return Sign(signed, signers);
    }

    /// <summary>Snapshot metadata naming the given files (and the last root) by length and SHA-256.</summary>
    public byte[] MakeSnapshot(int version, Dictionary<string, byte[]> files, TimeSpan? expiresIn = null)
    {
        if (RootBytes is not null)
        {
            files.TryAdd("root", RootBytes);
        }

        var meta = new JsonObject();
        foreach (var (role, bytes) in files)
        {
            meta[role] = new JsonObject
            {
                ["hashes"] = new JsonObject { ["sha256"] = Convert.ToBase64String(SHA256.HashData(bytes)) },
                ["length"] = bytes.Length,
            };
        }

        var signed = new JsonObject { ["_type"] = "Snapshot", ["expires"] = Expires(expiresIn ?? TimeSpan.FromDays(1095)), ["meta"] = meta, ["version"] = version };
        return Sign(signed, [Snapshot]);
    }

    /// <summary>Signs a <c>signed</c> object over its canonical JSON, with each signer.</summary>
    public static byte[] Sign(JsonObject signed, IEnumerable<TufSigner> signers)
    {
        using var document = JsonDocument.Parse(signed.ToJsonString());
        var canonical = CanonicalJson.Serialize(document.RootElement);
        var signatures = new JsonArray();
        foreach (var signer in signers)
        {
            var sig = signer.Private.SignData(canonical, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            signatures.Add(new JsonObject { ["keyid"] = signer.Id, ["method"] = "ecdsa", ["sig"] = Convert.ToBase64String(sig) });
        }

        return Encoding.UTF8.GetBytes(new JsonObject { ["signed"] = JsonNode.Parse(signed.ToJsonString()), ["signatures"] = signatures }.ToJsonString());
    }

    /// <summary>The body of a publish: one part per role named <c>files</c>, the role as its file name.</summary>
    public static MultipartFormDataContent Publish(IReadOnlyDictionary<string, byte[]> files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (role, bytes) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", role);
        }

        return form;
    }

    private static JsonObject Role(IEnumerable<string> keyIds, int threshold) =>
        new() { ["keyids"] = new JsonArray(keyIds.Select(k => (JsonNode)k!).ToArray()), ["threshold"] = threshold };
}
