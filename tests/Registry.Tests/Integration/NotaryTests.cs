using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Registry.Trust;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// The Notary v1 server API on a standalone host over Azurite, driven with metadata made here as the Notary client
/// makes it (and, where noted, with the Notary client itself): publish and fetch by role, version and checksum; the
/// server's timestamp and snapshot keys; every refusal a Notary server makes, with the error the client turns into its
/// message (inputs tried: a signature by another key, a threshold of 2 met by 1, the same and an older version, a
/// snapshot naming other bytes, expired metadata, a root for another GUN, a root rotation the old root did not sign, a
/// delegation naming a target outside its paths, a client-made timestamp, JSON that is not metadata, a body that is not
/// multipart, a GUN that is not host/repository); tags named by trust data (inNotary, hashMismatch, TAG_IN_NOTARY);
/// signed-only pulls by a trusted delegation key; and tampered metadata refused by the Notary client.
/// </summary>
public sealed class NotaryTests : IAsyncLifetime
{
    private RegistryHost _host = null!;
    private OciTestClient _oci = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        _oci = new OciTestClient(_host.Client);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Publish_FirstUpdate_ServedByRoleVersionAndChecksum()
    {
        // Arrange
        var gun = NewGun();
        var tuf = new TufRepository(gun);
        var timestampKey = await GetKeyAsync(gun, "timestamp");
        var root = tuf.MakeRoot(1, timestampKey);
        var targets = TufRepository.MakeTargets(1, new Dictionary<string, byte[]> { ["v1"] = "content"u8.ToArray() }, [tuf.Targets]);
        var snapshot = tuf.MakeSnapshot(1, new Dictionary<string, byte[]> { ["root"] = root, ["targets"] = targets });

        // Act
        using var published = await PublishAsync(gun, new() { ["root"] = root, ["targets"] = targets, ["snapshot"] = snapshot });

        // Assert: each file as published, by role, by version and by checksum; the timestamp is the server's
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        var sha = Convert.ToHexStringLower(SHA256.HashData(targets));
        foreach (var path in new[] { "targets.json", "1.targets.json", $"targets.{sha}.json" })
        {
            Assert.Equal(targets, await GetBytesAsync(gun, path));
        }

        Assert.Equal(root, await GetBytesAsync(gun, "root.json"));
        Assert.Equal(snapshot, await GetBytesAsync(gun, "snapshot.json"));
        var timestamp = TufFile.Parse("timestamp", await GetBytesAsync(gun, "timestamp.json"));
        Assert.Equal(1, timestamp.Version);
        Assert.True(timestampKey.Verify("ecdsa", timestamp.Signatures.Single().Value, timestamp.Canonical));
        Assert.True(timestamp.Meta()["snapshot"].Matches(snapshot));
        using var missing = await _host.Client.GetAsync($"/v2/{gun}/_trust/tuf/2.targets.json");
        Assert.Equal(("METADATA_NOT_FOUND", HttpStatusCode.NotFound), (await CodeAsync(missing), missing.StatusCode));
    }

    [Fact]
    public async Task Publish_ServerManagedSnapshot_ServerSignsSnapshotNamingTheUpdate()
    {
        // Arrange: the root names the server's snapshot key, and the update has no snapshot
        var gun = NewGun();
        var tuf = new TufRepository(gun);
        var snapshotKey = await GetKeyAsync(gun, "snapshot");
        var root = tuf.MakeRoot(1, await GetKeyAsync(gun, "timestamp"), snapshotKey: snapshotKey);
        var targets = TufRepository.MakeTargets(1, new Dictionary<string, byte[]> { ["v1"] = "content"u8.ToArray() }, [tuf.Targets]);

        // Act
        using var published = await PublishAsync(gun, new() { ["root"] = root, ["targets"] = targets });

        // Assert
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        var snapshot = TufFile.Parse("snapshot", await GetBytesAsync(gun, "snapshot.json"));
        Assert.True(snapshotKey.Verify("ecdsa", snapshot.Signatures.Single().Value, snapshot.Canonical));
        Assert.True(snapshot.Meta()["targets"].Matches(targets));
        Assert.True(snapshot.Meta()["root"].Matches(root));
        Assert.Equal(snapshotKey.ToJson(), (await GetKeyAsync(gun, "snapshot")).ToJson());
    }

    [Fact]
    public async Task Publish_SignatureByAnotherKey_RefusedAsBadTargetsAndNothingStored()
    {
        // Arrange
        var (gun, tuf) = await PublishNewAsync();
        var forged = TufRepository.MakeTargets(2, new Dictionary<string, byte[]> { ["v1"] = "forged"u8.ToArray() }, [TufSigner.Create()]);

        // Act
        using var refused = await PublishAsync(gun, new() { ["targets"] = forged, ["snapshot"] = tuf.MakeSnapshot(2, new() { ["targets"] = forged }) });

        // Assert
        await AssertRefusedAsync(refused, "INVALID_UPDATE", "ErrBadTargets", "0 valid signature(s)");
        Assert.Equal(1, TufFile.Parse("targets", await GetBytesAsync(gun, "targets.json")).Version);
    }

    [Fact]
    public async Task Publish_ThresholdOfTwoSignedByOne_Refused()
    {
        // Arrange
        var gun = NewGun();
        var tuf = new TufRepository(gun);
        var second = TufSigner.Create();
        var root = tuf.MakeRoot(1, await GetKeyAsync(gun, "timestamp"), targets: [tuf.Targets, second], targetsThreshold: 2);
        var targets = TufRepository.MakeTargets(1, new Dictionary<string, byte[]>(), [tuf.Targets]);

        // Act
        using var refused = await PublishAsync(gun, new() { ["root"] = root, ["targets"] = targets, ["snapshot"] = tuf.MakeSnapshot(1, new() { ["root"] = root, ["targets"] = targets }) });

        // Assert
        await AssertRefusedAsync(refused, "INVALID_UPDATE", "ErrBadTargets", "1 valid signature(s) by the keys of its role, and its threshold is 2");
        using var none = await _host.Client.GetAsync($"/v2/{gun}/_trust/tuf/root.json");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Publish_VersionNotAboveStored_RefusedAsVersion(bool older)
    {
        // Arrange: version 1 is stored (and, for an older version, then version 2); publish version 1 again
        var (gun, tuf) = await PublishNewAsync();
        var stored = 1;
        if (older)
        {
            var two = TufRepository.MakeTargets(2, new Dictionary<string, byte[]>(), [tuf.Targets]);
            using var accepted = await PublishAsync(gun, new() { ["targets"] = two, ["snapshot"] = tuf.MakeSnapshot(2, new() { ["targets"] = two }) });
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            stored = 2;
        }

        var replay = TufRepository.MakeTargets(1, new Dictionary<string, byte[]> { ["v9"] = "replayed"u8.ToArray() }, [tuf.Targets]);

        // Act
        using var refused = await PublishAsync(gun, new() { ["targets"] = replay, ["snapshot"] = tuf.MakeSnapshot(3, new() { ["targets"] = replay }) });

        // Assert
        await AssertRefusedAsync(refused, "VERSION", "ErrValidation", $"not newer than the stored version {stored}");
    }

    [Fact]
    public async Task Publish_SnapshotNamingOtherBytes_RefusedAsBadSnapshot()
    {
        // Arrange
        var (gun, tuf) = await PublishNewAsync();
        var targets = TufRepository.MakeTargets(2, new Dictionary<string, byte[]> { ["v2"] = "two"u8.ToArray() }, [tuf.Targets]);
        var other = TufRepository.MakeTargets(2, new Dictionary<string, byte[]> { ["v3"] = "three"u8.ToArray() }, [tuf.Targets]);

        // Act
        using var refused = await PublishAsync(gun, new() { ["targets"] = targets, ["snapshot"] = tuf.MakeSnapshot(2, new() { ["targets"] = other }) });

        // Assert
        await AssertRefusedAsync(refused, "INVALID_UPDATE", "ErrBadSnapshot", "hashes of targets do not match");
    }

    [Fact]
    public async Task Publish_ExpiredTargets_Refused()
    {
        // Arrange
        var (gun, tuf) = await PublishNewAsync();
        var expired = TufRepository.MakeTargets(2, new Dictionary<string, byte[]>(), [tuf.Targets], expiresIn: TimeSpan.FromMinutes(-1));

        // Act
        using var refused = await PublishAsync(gun, new() { ["targets"] = expired, ["snapshot"] = tuf.MakeSnapshot(2, new() { ["targets"] = expired }) });

        // Assert
        await AssertRefusedAsync(refused, "INVALID_UPDATE", "ErrBadTargets", "expired");
    }

    [Fact]
    public async Task Publish_RootForAnotherGun_RefusedAsBadRoot()
    {
        // Arrange: the root certificate names another GUN
        var gun = NewGun();
        var tuf = new TufRepository(gun) { Root = TufSigner.CreateCertificate("registry.example/other/repo") };
        var root = tuf.MakeRoot(1, await GetKeyAsync(gun, "timestamp"));
        var targets = TufRepository.MakeTargets(1, new Dictionary<string, byte[]>(), [tuf.Targets]);

        // Act
        using var refused = await PublishAsync(gun, new() { ["root"] = root, ["targets"] = targets, ["snapshot"] = tuf.MakeSnapshot(1, new() { ["root"] = root, ["targets"] = targets }) });

        // Assert
        await AssertRefusedAsync(refused, "INVALID_UPDATE", "ErrBadRoot", $"no root key is a certificate for {gun}");
    }

    [Fact]
    public async Task Publish_RootRotation_NeedsTheOldRootsSignature()
    {
        // Arrange
        var (gun, tuf) = await PublishNewAsync();
        var timestampKey = await GetKeyAsync(gun, "timestamp");
        var newRoot = TufSigner.CreateCertificate(gun);
        var unsigned = tuf.MakeRoot(2, timestampKey, signers: [newRoot], root: newRoot);
        var crossSigned = tuf.MakeRoot(2, timestampKey, signers: [newRoot, tuf.Root], root: newRoot);

        // Act
        using var refused = await PublishAsync(gun, new() { ["root"] = unsigned, ["snapshot"] = tuf.MakeSnapshot(2, new() { ["root"] = unsigned, ["targets"] = await GetBytesAsync(gun, "targets.json") }) });
        using var accepted = await PublishAsync(gun, new() { ["root"] = crossSigned, ["snapshot"] = tuf.MakeSnapshot(2, new() { ["root"] = crossSigned, ["targets"] = await GetBytesAsync(gun, "targets.json") }) });

        // Assert
        await AssertRefusedAsync(refused, "INVALID_UPDATE", "ErrBadRoot", "of the previous root");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(crossSigned, await GetBytesAsync(gun, "2.root.json"));
    }

    [Fact]
    public async Task Publish_DelegationOutsideItsPaths_RefusedAndInsideAccepted()
    {
        // Arrange: targets delegates targets/releases for paths "release-"
        var (gun, tuf) = await PublishNewAsync();
        var alice = TufSigner.Create();
        var targets = TufRepository.MakeTargets(2, new Dictionary<string, byte[]>(), [tuf.Targets],
            new Dictionary<string, (TufSigner, string[])> { ["targets/releases"] = (alice, ["release-"]) });
        var outside = TufRepository.MakeTargets(1, new Dictionary<string, byte[]> { ["latest"] = "x"u8.ToArray() }, [alice]);
        var inside = TufRepository.MakeTargets(1, new Dictionary<string, byte[]> { ["release-1"] = "x"u8.ToArray() }, [alice]);

        // Act
        using var refused = await PublishAsync(gun, new() { ["targets"] = targets, ["targets/releases"] = outside,
            ["snapshot"] = tuf.MakeSnapshot(2, new() { ["targets"] = targets, ["targets/releases"] = outside }) });
        using var accepted = await PublishAsync(gun, new() { ["targets"] = targets, ["targets/releases"] = inside,
            ["snapshot"] = tuf.MakeSnapshot(2, new() { ["targets"] = targets, ["targets/releases"] = inside }) });

        // Assert
        await AssertRefusedAsync(refused, "INVALID_UPDATE", "ErrBadTargets", "outside the paths it was delegated");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(inside, await GetBytesAsync(gun, "targets/releases.json"));
    }

    [Fact]
    public async Task Publish_MalformedRequests_AnswerNotaryCodes()
    {
        // Arrange
        var (gun, tuf) = await PublishNewAsync();
        var timestamp = TufRepository.Sign(new System.Text.Json.Nodes.JsonObject { ["_type"] = "Timestamp", ["expires"] = TufRepository.Expires(TimeSpan.FromDays(1)), ["meta"] = new System.Text.Json.Nodes.JsonObject(), ["version"] = 9 }, [tuf.Targets]);

        // Act
        using var clientTimestamp = await PublishAsync(gun, new() { ["timestamp"] = timestamp });
        using var notMetadata = await PublishAsync(gun, new() { ["targets"] = "{\"signed\": 1}"u8.ToArray() });
        using var unknownRole = await PublishAsync(gun, new() { ["targets/../root"] = "{}"u8.ToArray() });
        using var notMultipart = await _host.Client.PostAsync($"/v2/{gun}/_trust/tuf/", new StringContent("{}", Encoding.UTF8, "application/json"));
        using var badGun = await _host.Client.GetAsync("/v2/Not_A_Host!/x/_trust/tuf/root.json");

        // Assert
        await AssertRefusedAsync(clientTimestamp, "INVALID_ROLE", null, "the server makes the timestamp");
        await AssertRefusedAsync(notMetadata, "MALFORMED_JSON", null, "targets");
        await AssertRefusedAsync(unknownRole, "INVALID_ROLE", null, "not a role name");
        await AssertRefusedAsync(notMultipart, "MALFORMED_UPLOAD", null, "multipart");
        await AssertRefusedAsync(badGun, "INVALID_GUN", null, "host");
    }

    [Fact]
    public async Task Delete_Gun_RemovesItsTrustData()
    {
        // Arrange
        var (gun, _) = await PublishNewAsync();

        // Act
        using var deleted = await _host.Client.DeleteAsync($"/v2/{gun}/_trust/tuf/");

        // Assert
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        foreach (var file in new[] { "root.json", "targets.json", "1.targets.json", "timestamp.json" })
        {
            using var gone = await _host.Client.GetAsync($"/v2/{gun}/_trust/tuf/{file}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task Publish_NewRepository_MadeAndItsTrustDataDeletedWithIt()
    {
        // Arrange: trust data published for a repository that had no image yet
        var repo = OciTestClient.NewRepository("notary");
        var (gun, _) = await PublishNewAsync(repo);
        using var made = await _host.Client.GetAsync($"/api/v0/repositories/{repo}");

        // Act: the repository is deleted; whoever makes one of its name again finds no trust data
        using var deleted = await _host.Client.DeleteAsync($"/api/v0/repositories/{repo}");
        await _oci.PushImageAsync(repo, "v1");

        // Assert
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        foreach (var file in new[] { "root.json", "1.root.json", "timestamp.json" })
        {
            using var gone = await _host.Client.GetAsync($"/v2/{gun}/_trust/tuf/{file}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        var blobs = new BlobContainerClient(AzuriteCheck.ConnectionString, _host.StoragePrefix).GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = $"trust/{repo.Replace('/', ':')}/" });
        Assert.False(await blobs.GetAsyncEnumerator().MoveNextAsync());
        Assert.Equal((false, false), (await GetTagsAsync(repo))["v1"]);
    }

    [Fact]
    public async Task Tags_NamedByTrustData_InNotaryHashMismatchAndGuarded()
    {
        // Arrange: v1 is signed with its manifest; "moved" is signed with other content than it points at
        var repo = OciTestClient.NewRepository("notary");
        var v1 = await _oci.PushImageAsync(repo, "v1");
        await _oci.PushImageAsync(repo, "moved");
        var (gun, tuf) = await PublishNewAsync(repo, new() { ["v1"] = Encoding.UTF8.GetBytes(v1.Manifest), ["moved"] = "other content"u8.ToArray() });

        // Act
        var tags = await GetTagsAsync(repo);
        var other = await PushOverAsync(repo, "v1");
        using var apiDelete = await _host.Client.DeleteAsync($"/api/v0/repositories/{repo}/tags/v1");
        using var v2Delete = await _host.Client.DeleteAsync($"/v2/{repo}/manifests/v1");
        using var digestDelete = await _host.Client.DeleteAsync($"/v2/{repo}/manifests/{v1.Digest}");
        using var sameAgain = await _oci.PutManifestAsync(repo, "v1", v1.Manifest);

        // Assert
        Assert.Equal((true, false), tags["v1"]);
        Assert.Equal((true, true), tags["moved"]);
        Assert.Equal(HttpStatusCode.Forbidden, other.Status);
        Assert.Contains("TAG_IN_NOTARY", other.Body);
        Assert.Equal(HttpStatusCode.Forbidden, apiDelete.StatusCode);
        Assert.Contains("\"TAG_IN_NOTARY\"", await apiDelete.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, v2Delete.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, digestDelete.StatusCode);
        Assert.Contains("TAG_IN_NOTARY", await digestDelete.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Created, sameAgain.StatusCode);

        // once the trust data is gone, the tag is an ordinary tag again
        using (await _host.Client.DeleteAsync($"/v2/{gun}/_trust/tuf/"))
        {
        }

        using var afterwards = await _host.Client.DeleteAsync($"/api/v0/repositories/{repo}/tags/v1");
        Assert.Equal(HttpStatusCode.NoContent, afterwards.StatusCode);
    }

    [Fact]
    public async Task TagLimit_SignedTag_NeverTheOneRemoved()
    {
        // Arrange: the oldest tag is signed; the limit is 2
        var repo = OciTestClient.NewRepository("notary");
        var signed = await _oci.PushImageAsync(repo, "signed");
        await PublishNewAsync(repo, new() { ["signed"] = Encoding.UTF8.GetBytes(signed.Manifest) });
        using (var limited = await _host.Client.PatchAsJsonAsync($"/api/v0/repositories/{repo}", new { tagLimit = 2 }))
        {
            Assert.Equal(HttpStatusCode.OK, limited.StatusCode);
        }

        // Act
        await _oci.PushImageAsync(repo, "a");
        await _oci.PushImageAsync(repo, "b");

        // Assert: the oldest unsigned tag went
        Assert.Equal(["b", "signed"], (await GetTagsAsync(repo)).Keys.Order().ToArray());
    }

    [Fact]
    public async Task TrustPolicy_DelegationKeyTrusted_ServesPullOnlyThen()
    {
        // Arrange: the policy trusts alice's key; bob's delegation signs first
        var repo = OciTestClient.NewRepository("notary");
        var image = await _oci.PushImageAsync(repo, "v1");
        var alice = TufSigner.Create();
        var bob = TufSigner.Create();
        using (var policy = await _host.Client.PutAsJsonAsync($"/api/v0/repositories/{repo}/trustPolicy",
            new { enforce = true, trustRegistry = false, publicKeys = new[] { alice.PublicPem() } }))
        {
            Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        }

        var manifest = Encoding.UTF8.GetBytes(image.Manifest);
        var (gun, tuf) = await PublishNewAsync(repo, []);
        var byBob = await DelegateAsync(gun, tuf, 2, "targets/bob", bob, manifest);
        using var refusedByBob = await _host.Client.GetAsync($"/v2/{repo}/manifests/v1");

        // Act
        var byAlice = await DelegateAsync(gun, tuf, 3, "targets/releases", alice, manifest);
        using var served = await _host.Client.GetAsync($"/v2/{repo}/manifests/v1");

        // Assert
        Assert.Equal(HttpStatusCode.OK, byBob);
        Assert.Equal(HttpStatusCode.Forbidden, refusedByBob.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byAlice);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task NotaryClient_TamperedTargetsInStorage_Refused()
    {
        // Arrange: the Notary client publishes a target; then the stored targets file is altered in storage
        var gun = $"{_host.BaseAddress.Authority}/{OciTestClient.NewRepository("notary")}";
        using var trustDir = new NotaryCli.TempDirectory();
        await NotaryCli.InitAndAddAsync(_host, trustDir.Path, gun, "v1", "what was signed");
        var listed = await NotaryCli.RunAsync(_host, trustDir.Path, "list", gun);
        var container = new BlobContainerClient(AzuriteCheck.ConnectionString, _host.StoragePrefix);
        var sha = Convert.ToHexStringLower(SHA256.HashData(await GetBytesAsync(gun, "targets.json")));
        var blob = container.GetBlobClient($"trust/{gun.Split('/', 2)[1].Replace('/', ':')}/{_host.BaseAddress.Authority}/targets/{sha}.json");
        var stored = (await blob.DownloadContentAsync()).Value.Content.ToString();
        var real = Convert.ToBase64String(SHA256.HashData("what was signed"u8.ToArray()));
        await blob.UploadAsync(BinaryData.FromString(stored.Replace(real, Convert.ToBase64String(SHA256.HashData("something else"u8.ToArray())), StringComparison.Ordinal)), overwrite: true);

        // Act: through a second instance (the first keeps in memory what it validated), a client with the trust data
        // cached, and a new one
        await using var second = await RegistryHost.StartAsync(_host.StoragePrefix);
        using var fresh = new NotaryCli.TempDirectory();
        var cached = await NotaryCli.RunAsync(second, trustDir.Path, "list", gun);
        var first = await NotaryCli.RunAsync(second, fresh.Path, "list", gun);

        // Assert
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData("what was signed"u8.ToArray())), listed.Output);
        Assert.Contains(real, stored);
        // the client that has the data keeps what it verified (the snapshot did not change); a new one refuses the file
        Assert.True(cached.Code == 0 && cached.Output.Contains(Convert.ToHexStringLower(SHA256.HashData("what was signed"u8.ToArray()))), cached.Output);
        Assert.True(first.Code != 0, first.Output);
        Assert.DoesNotContain(Convert.ToHexStringLower(SHA256.HashData("something else"u8.ToArray())), cached.Output + first.Output);
    }

    private static string NewGun() => $"registry.example:5000/{OciTestClient.NewRepository("notary")}";

    /// <summary>A GUN with root, targets (version 1, naming <paramref name="targets"/>) and snapshot published.</summary>
    private async Task<(string Gun, TufRepository Tuf)> PublishNewAsync(string? repo = null, Dictionary<string, byte[]>? targets = null)
    {
        var gun = repo is null ? NewGun() : $"registry.example:5000/{repo}";
        var tuf = new TufRepository(gun);
        var root = tuf.MakeRoot(1, await GetKeyAsync(gun, "timestamp"));
        var targetsFile = TufRepository.MakeTargets(1, targets ?? new() { ["v1"] = "content"u8.ToArray() }, [tuf.Targets]);
        using var published = await PublishAsync(gun, new() { ["root"] = root, ["targets"] = targetsFile, ["snapshot"] = tuf.MakeSnapshot(1, new() { ["root"] = root, ["targets"] = targetsFile }) });
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        return (gun, tuf);
    }

    /// <summary>Publishes targets (at <paramref name="version"/>) delegating <paramref name="role"/> to <paramref name="key"/>, which signs v1 as <paramref name="content"/>.</summary>
    private async Task<HttpStatusCode> DelegateAsync(string gun, TufRepository tuf, int version, string role, TufSigner key, byte[] content)
    {
        var targets = TufRepository.MakeTargets(version, new Dictionary<string, byte[]>(), [tuf.Targets],
            new Dictionary<string, (TufSigner, string[])> { [role] = (key, [""]) });
        var delegated = TufRepository.MakeTargets(1, new Dictionary<string, byte[]> { ["v1"] = content }, [key]);
        using var published = await PublishAsync(gun, new() { ["targets"] = targets, [role] = delegated,
            ["snapshot"] = tuf.MakeSnapshot(version, new() { ["targets"] = targets, [role] = delegated }) });
        return published.StatusCode;
    }

    private async Task<(HttpStatusCode Status, string Body)> PushOverAsync(string repo, string tag)
    {
        var config = await _oci.PushBlobAsync(repo, "{\"os\":\"linux\"}"u8.ToArray());
        var layer = await _oci.PushBlobAsync(repo, OciTestClient.RandomBytes(64));
        using var response = await _oci.PutManifestAsync(repo, tag, OciTestClient.ImageManifestJson(config, 14, layer, 64));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<Dictionary<string, (bool InNotary, bool HashMismatch)>> GetTagsAsync(string repo)
    {
        using var response = await _host.Client.GetAsync($"/api/v0/repositories/{repo}/tags");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!,
            t => (t.GetProperty("inNotary").GetBoolean(), t.GetProperty("hashMismatch").GetBoolean()));
    }

    private async Task<TufKey> GetKeyAsync(string gun, string role)
    {
        using var response = await _host.Client.GetAsync($"/v2/{gun}/_trust/tuf/{role}.key");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var key = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return TufKey.Parse(key.RootElement);
    }

    private async Task<HttpResponseMessage> PublishAsync(string gun, Dictionary<string, byte[]> files)
    {
        using var form = TufRepository.Publish(files);
        return await _host.Client.PostAsync($"/v2/{gun}/_trust/tuf/", form);
    }

    private async Task<byte[]> GetBytesAsync(string gun, string file)
    {
        using var response = await _host.Client.GetAsync($"/v2/{gun}/_trust/tuf/{file}");
        Assert.True(response.IsSuccessStatusCode, $"GET {file}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task<string> CodeAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("errors")[0].GetProperty("code").GetString()!;
    }

    /// <summary>A refusal as the Notary client reads it: the code, and the validation error it rebuilds from the detail.</summary>
    private static async Task AssertRefusedAsync(HttpResponseMessage response, string code, string? validation, string message)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        using var body = JsonDocument.Parse(text);
        var error = body.RootElement.GetProperty("errors")[0];
        Assert.Equal(code, error.GetProperty("code").GetString());
        var detail = error.GetProperty("detail");
        if (validation is null)
        {
            Assert.Contains(message, detail.GetString());
        }
        else
        {
            Assert.Equal(validation, detail.GetProperty("Name").GetString());
            Assert.Contains(message, detail.GetProperty("Error").GetProperty("Msg").GetString());
        }
    }
}
