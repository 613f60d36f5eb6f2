using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Registry.Oci;
using Registry.Signing;
using Registry.Tests.Support;
using Registry.Tests.Unit;

namespace Registry.Tests.Integration;

/// <summary>
/// Server-side signing and signed-only pulls on a standalone host over Azurite: signing policies queue the signing of
/// what they select (push, promotion into the repository, a completed scan the rules accept, dry run, idempotence), the signature is a referrer that the signatures endpoint verifies,
/// and trust policies refuse pulls that no trusted signature covers. The enforcement matrix: policy off and on ×
/// unsigned, signed by the registry, signed by an untrusted CA, a tampered signature (made for another digest), a
/// cosign signature by a trusted and an untrusted key × pull by tag, by digest, a child of a signed index, and the
/// signature itself; and an image that names a subject and an artifact type, as attachments do, is still an image.
/// </summary>
public sealed class SigningTests : IAsyncLifetime
{
    private static readonly SigningIdentity Outsider = SigningIdentity.CreateAuthority("Outsider", DateTimeOffset.UtcNow);
    private RegistryHost _host = null!;
    private OciTestClient _oci = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        _oci = new OciTestClient(_host.Client);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task SigningPolicy_MatchingTagPushed_SignedByQueueAsVerifiedReferrer()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("sign");
        await _oci.PushImageAsync(repo, "seed");
        using (var created = await PostJsonAsync($"/api/v0/repositories/{repo}/signingPolicies", new { rules = new[] { new { field = "tag", @operator = "sw", values = new[] { "release-" } } } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // Act
        var released = await _oci.PushImageAsync(repo, "release-1");
        var signature = await WaitForSignatureAsync(repo, released.Digest);

        // Assert: the referrer is a Notary Project signature whose chain ends at the CA the registry publishes
        Assert.Equal("application/vnd.cncf.notary.signature", signature.GetProperty("artifactType").GetString());
        var checks = await GetJsonAsync($"/api/v0/repositories/{repo}/manifests/{released.Digest}/signatures");
        var check = checks.EnumerateArray().Single();
        Assert.Equal(("notation-cose", true), (check.GetProperty("envelope").GetString(), check.GetProperty("valid").GetBoolean()));
        Assert.Contains("Image Signing", check.GetProperty("identity").GetString());
        using var ca = await _oci.Http.GetAsync("/api/v0/signing/ca");
        var anchor = X509Certificate2.CreateFromPem(await ca.Content.ReadAsStringAsync());
        var envelope = await ReadEnvelopeAsync(repo, signature.GetProperty("digest").GetString()!);
        Assert.Null(SignatureVerifier.VerifyNotation(envelope, MediaTypes.CoseEnvelope, Parse(released.Digest), new TrustAnchors([anchor], []), DateTimeOffset.UtcNow).Failure);

        // ... the tag listing says who signed, and a tag the rules do not select is not signed
        var tags = await GetJsonAsync($"/api/v0/repositories/{repo}/tags");
        var release = tags.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "release-1");
        Assert.True(release.GetProperty("signed").GetBoolean());
        Assert.Contains("Image Signing", release.GetProperty("signedBy")[0].GetString());
        Assert.False(tags.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "seed").GetProperty("signed").GetBoolean());
    }

    [Fact]
    public async Task SigningPolicy_SameImagePushedAgain_AddsNoSecondSignature()
    {
        // Arrange: a signed image
        var repo = OciTestClient.NewRepository("sign");
        await _oci.PushImageAsync(repo, "seed");
        using (var created = await PostJsonAsync($"/api/v0/repositories/{repo}/signingPolicies", new { rules = new[] { new { field = "tag", @operator = "eq", values = new[] { "v1" } } } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var image = await _oci.PushImageAsync(repo, "v1");
        await WaitForSignatureAsync(repo, image.Digest);

        // Act: the same manifest pushed again queues a second job
        using (var again = await _oci.PutManifestAsync(repo, "v1", image.Manifest))
        {
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }

        var queue = new QueueClient(AzuriteCheck.ConnectionString + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;", _host.StoragePrefix + "-signatures");
        Assert.True(await Poll.UntilAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, TimeSpan.FromSeconds(60)),
            "the second signing job was not taken");

        // Assert
        Assert.Single((await ReferrersAsync(repo, image.Digest)).EnumerateArray());
    }

    [Fact]
    public async Task SigningPolicy_ImagePromotedIntoRepository_Signed()
    {
        // Arrange: a source that promotes v1 to the target as prod-v1, and a target that signs prod-*
        var source = OciTestClient.NewRepository("sign");
        var target = OciTestClient.NewRepository("sign");
        await _oci.PushImageAsync(source, "seed");
        await _oci.PushImageAsync(target, "seed");
        using (var signing = await PostJsonAsync($"/api/v0/repositories/{target}/signingPolicies", new { rules = new[] { new { field = "tag", @operator = "sw", values = new[] { "prod-" } } } }))
        using (var promotion = await PostJsonAsync($"/api/v0/repositories/{source}/promotionPolicies",
                   new { enabled = true, targetRepository = target, tagTemplate = "prod-%n", rules = new[] { new { field = "tag", @operator = "eq", values = new[] { "v1" } } } }))
        {
            Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (signing.StatusCode, promotion.StatusCode));
        }

        // Act
        var image = await _oci.PushImageAsync(source, "v1");

        // Assert: signed in the target, where the policy is; not in the source, which has none
        await WaitForSignatureAsync(target, image.Digest);
        Assert.Empty((await ReferrersAsync(source, image.Digest)).EnumerateArray());
    }

    [Fact]
    public async Task SigningPolicy_ScanRules_SignsWhatTheCompletedScanAccepts()
    {
        // Arrange: a repository that scans on push and signs v-* images without major vulnerabilities
        var repo = await ScanningRepositoryAsync(new
        {
            rules = new[]
            {
                new { field = "tag", @operator = "sw", values = new[] { "v-" } },
                new { field = "vulnerability_major", @operator = "lt", values = new[] { "1" } },
            },
        });

        // Act: the vulnerable image first, then a clean one
        var vulnerable = await _oci.PushImageAsync(repo, "v-vulnerable",
            layer: TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled))));
        var clean = await _oci.PushImageAsync(repo, "v-clean", layer: TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease))));

        // Assert: the clean image is signed once its scan completes; the vulnerable one, scanned before it, is not
        await WaitForSignatureAsync(repo, clean.Digest);
        await _oci.WaitForScanAsync(repo, vulnerable.Digest);
        Assert.DoesNotContain((await ReferrersAsync(repo, vulnerable.Digest)).EnumerateArray(),
            m => m.GetProperty("artifactType").GetString() == MediaTypes.NotarySignature);
    }

    [Fact]
    public async Task SigningPolicy_ScanRulesOnMultiPlatformIndex_SignedWithItsPlatformsOnceAllAreScanned()
    {
        // Arrange: a repository that scans on push and signs "multi" (and its platforms) without major vulnerabilities
        var repo = await ScanningRepositoryAsync(new
        {
            signPlatforms = true,
            rules = new[]
            {
                new { field = "tag", @operator = "eq", values = new[] { "multi" } },
                new { field = "vulnerability_major", @operator = "lt", values = new[] { "1" } },
            },
        });

        var clean = TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease)));
        var amd64 = await _oci.PushImageAsync(repo, "amd64", layer: clean);
        var arm64 = await _oci.PushImageAsync(repo, "arm64", layer: clean);
        var index = JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = MediaTypes.ImageIndex,
            manifests = new[] { (amd64, "amd64"), (arm64, "arm64") }.Select(p => new
            {
                mediaType = MediaTypes.ImageManifest, digest = p.Item1.Digest, size = Encoding.UTF8.GetByteCount(p.Item1.Manifest),
                platform = new { os = "linux", architecture = p.Item2 },
            }),
        });

        // Act
        using (var pushed = await _oci.PutManifestAsync(repo, "multi", index, MediaTypes.ImageIndex))
        {
            Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        }

        // Assert: the index is signed once both platforms are scanned, and its platforms with it
        await WaitForSignatureAsync(repo, OciTestClient.DigestOf(Encoding.UTF8.GetBytes(index)));
        await WaitForSignatureAsync(repo, amd64.Digest);
        await WaitForSignatureAsync(repo, arm64.Digest);
    }

    [Fact]
    public async Task DryRun_Rules_ListOnlySelectedTagsAndSignNothing()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("sign");
        var a = await _oci.PushImageAsync(repo, "prod-a");
        await _oci.PushImageAsync(repo, "dev-b");

        // Act
        var selected = await PostForJsonAsync($"/api/v0/repositories/{repo}/signingPolicies/test", new { rules = new[] { new { field = "tag", @operator = "sw", values = new[] { "prod-" } } } });

        // Assert
        var only = selected.EnumerateArray().Single();
        Assert.Equal(("prod-a", a.Digest), (only.GetProperty("name").GetString(), only.GetProperty("digest").GetString()));
        Assert.Empty((await GetJsonAsync($"/api/v0/repositories/{repo}/signingPolicies")).EnumerateArray());
    }

    [Fact]
    public async Task Pull_EnforcementMatrix_OnlyTrustedSignaturesServe()
    {
        // Arrange: images signed in every way, in one repository with the policy off
        var repo = OciTestClient.NewRepository("trust");
        var unsigned = await _oci.PushImageAsync(repo, "unsigned");
        var byRegistry = await _oci.PushImageAsync(repo, "registry");
        var byOutsider = await _oci.PushImageAsync(repo, "outsider");
        var tampered = await _oci.PushImageAsync(repo, "tampered");
        var byKey = await _oci.PushImageAsync(repo, "cosign");
        var byOtherKey = await _oci.PushImageAsync(repo, "cosign-other");
        // an image that names a subject, as attachments do, is still an image
        var disguised = await _oci.PushImageAsync(repo, "disguised", subjectJson: $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{byRegistry.Digest}\",\"size\":{Encoding.UTF8.GetByteCount(byRegistry.Manifest)}}}", artifactType: "application/vnd.example.sbom");
        using (await PostJsonAsync($"/api/v0/repositories/{repo}/signingPolicies?initialEvaluation=true", new { rules = new[] { new { field = "tag", @operator = "eq", values = new[] { "registry" } } } }))
        {
        }

        var registrySignature = (await WaitForSignatureAsync(repo, byRegistry.Digest)).GetProperty("digest").GetString()!;
        await PushNotarySignatureAsync(repo, byOutsider, Outsider);
        await PushNotarySignatureAsync(repo, tampered, Outsider, signedDigest: unsigned.Digest);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await PushCosignSignatureAsync(repo, byKey.Digest, key);
        await PushCosignSignatureAsync(repo, byOtherKey.Digest, otherKey);
        var images = new[] { unsigned, byRegistry, byOutsider, tampered, byKey, byOtherKey, disguised };

        // Act and assert: policy off, everything is served
        foreach (var image in images)
        {
            Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, image.Digest));
        }

        // ... on, trusting the registry and the one key: by tag and by digest alike
        await PutTrustAsync($"/api/v0/repositories/{repo}/trustPolicy", enforce: true, publicKeys: [key.ExportSubjectPublicKeyInfoPem()]);
        var expected = new Dictionary<string, HttpStatusCode>
        {
            ["unsigned"] = HttpStatusCode.Forbidden,
            ["registry"] = HttpStatusCode.OK,
            ["outsider"] = HttpStatusCode.Forbidden,
            ["tampered"] = HttpStatusCode.Forbidden,
            ["cosign"] = HttpStatusCode.OK,
            ["cosign-other"] = HttpStatusCode.Forbidden,
            ["disguised"] = HttpStatusCode.Forbidden,
        };
        foreach (var (tag, status) in expected)
        {
            Assert.Equal(status, await PullStatusAsync(repo, tag));
            Assert.Equal(status, await PullStatusAsync(repo, images[expected.Keys.ToList().IndexOf(tag)].Digest));
        }

        using (var refused = await _oci.Http.GetAsync($"/v2/{repo}/manifests/unsigned"))
        {
            Assert.Equal("DENIED", await OciTestClient.ErrorCodeAsync(refused));
            Assert.Contains($"trust policy of repository {repo}", await refused.Content.ReadAsStringAsync());
        }

        // ... signatures stay pullable, the registry's and the cosign tag alike
        Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, registrySignature));
        Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, SignatureService.CosignTag(Parse(byKey.Digest))));

        // ... and trusting the outsider's CA takes effect at once
        await PutTrustAsync($"/api/v0/repositories/{repo}/trustPolicy", enforce: true, certificates: [Outsider.Anchor.ExportCertificatePem()]);
        Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, "outsider"));
        Assert.Equal(HttpStatusCode.Forbidden, await PullStatusAsync(repo, "tampered"));
        Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, "registry"));
        Assert.Equal(HttpStatusCode.Forbidden, await PullStatusAsync(repo, "cosign"));
    }

    [Fact]
    public async Task Pull_ManyUntrustedSignatures_CheckedUpToTheCapAndTheTrustedOneStillCounts()
    {
        // Arrange: 40 signatures by an untrusted CA, and one cosign signature by the trusted key
        var repo = OciTestClient.NewRepository("trust");
        var image = await _oci.PushImageAsync(repo, "v1");
        for (var i = 0; i < 40; i++)
        {
            await PushNotarySignatureAsync(repo, image, Outsider);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await PushCosignSignatureAsync(repo, image.Digest, key);
        await PutTrustAsync($"/api/v0/repositories/{repo}/trustPolicy", enforce: true, publicKeys: [key.ExportSubjectPublicKeyInfoPem()]);

        // Act
        var status = await PullStatusAsync(repo, "v1");
        var checks = await GetJsonAsync($"/api/v0/repositories/{repo}/manifests/{image.Digest}/signatures");

        // Assert
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(SignatureService.MaxChecks, checks.GetArrayLength());
        Assert.Equal("cosign", checks[0].GetProperty("envelope").GetString());
        Assert.True(checks[0].GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task Pull_ChildOfSignedIndex_ServedAndChildOfUnsignedIndexRefused()
    {
        // Arrange: two indexes of one platform image each; one index signed by the outsider, whose CA the namespace trusts
        var org = "o" + Guid.NewGuid().ToString("N")[..10];
        using (var created = await PostJsonAsync("/enzi/v0/accounts", new { name = org, isOrg = true }))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        var repo = OciTestClient.NewRepository(org);
        var signedChild = await _oci.PushImageAsync(repo, "child-a");
        var unsignedChild = await _oci.PushImageAsync(repo, "child-b");
        var signedIndex = await PushIndexAsync(repo, "signed", signedChild);
        await PushIndexAsync(repo, "unsigned", unsignedChild);
        await PushNotarySignatureAsync(repo, signedIndex, Outsider);
        await PutTrustAsync($"/api/v0/repositoryNamespaces/{repo.Split('/')[0]}/trustPolicy", enforce: true, certificates: [Outsider.Anchor.ExportCertificatePem()]);

        // Act and assert: the namespace's policy applies to its repositories
        Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, "signed"));
        Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, signedChild.Digest));
        Assert.Equal(HttpStatusCode.Forbidden, await PullStatusAsync(repo, "unsigned"));
        Assert.Equal(HttpStatusCode.Forbidden, await PullStatusAsync(repo, unsignedChild.Digest));

        // ... a repository's own policy wins over its namespace's
        await PutTrustAsync($"/api/v0/repositories/{repo}/trustPolicy", enforce: false);
        Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, unsignedChild.Digest));
        using var deleted = await _oci.Http.DeleteAsync($"/api/v0/repositoryNamespaces/{repo.Split('/')[0]}/trustPolicy");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task Signature_OfImmutablyTaggedImage_CannotBeDeletedAndGcKeepsIt()
    {
        // Arrange: a host whose GC keeps nothing older than a second; an image under an immutable tag, signed by the outsider,
        // and an untagged manifest that nothing refers to
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>
        {
            ["Registry__Gc__ManifestGracePeriod"] = "00:00:01",
            ["Registry__Gc__BlobGracePeriod"] = "00:00:01",
            ["Registry__Gc__TouchInterval"] = "00:00:01",
        });
        var oci = new OciTestClient(host.Client);
        var repo = OciTestClient.NewRepository("sign");
        var image = await oci.PushImageAsync(repo, "v1");
        var orphan = await oci.PushImageAsync(repo, "orphan");
        using (var untag = await oci.Http.DeleteAsync($"/v2/{repo}/manifests/orphan"))
        {
            Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);
        }

        var signature = await PushNotarySignatureAsync(repo, image, Outsider, client: oci);
        await PatchRepositoryAsync(repo, new { immutableTags = true }, oci.Http);

        // Act
        using var delete = await oci.Http.DeleteAsync($"/v2/{repo}/manifests/{signature}");
        var removed = new List<string?>();
        var orphanRemoved = await Poll.UntilAsync(async () =>
        {
            var gc = await DtrJobs.RunGcAsync(oci.Http, dryRun: false);
            removed.AddRange(gc.GetProperty("result").GetProperty("manifests").EnumerateArray().Select(m => m.GetString()));
            return removed.Contains($"{repo}@{orphan.Digest}");
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));

        // Assert: GC removed the orphan and kept the signature, which its subject's immutable tag protects
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.True(orphanRemoved, string.Join(", ", removed));
        Assert.DoesNotContain($"{repo}@{signature}", removed);
        Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, signature, oci));
        Assert.Single((await ReferrersAsync(repo, image.Digest, oci.Http)).EnumerateArray());
    }

    [Theory]
    [InlineData("{\"enforce\":true,\"certificates\":[\"not a certificate\"]}")]
    [InlineData("{\"enforce\":true,\"publicKeys\":[\"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\"]}")]
    [InlineData("{\"enforce\":\"yes\"}")]
    public async Task TrustPolicy_BadBody_InvalidFieldAndNothingStored(string body)
    {
        // Arrange
        var repo = OciTestClient.NewRepository("trust");
        await _oci.PushImageAsync(repo, "v1");

        // Act
        using var put = await _oci.Http.PutAsync($"/api/v0/repositories/{repo}/trustPolicy", new StringContent(body, Encoding.UTF8, "application/json"));
        using var get = await _oci.Http.GetAsync($"/api/v0/repositories/{repo}/trustPolicy");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("\"code\":\"INVALID_", await put.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await PullStatusAsync(repo, "v1"));
    }

    [Fact]
    public async Task SigningApi_BadInput_ClearErrorsInDtrShape()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("sign");
        await _oci.PushImageAsync(repo, "v1");

        // Act: no rules, an unknown operator, a policy id and a trust policy that do not exist, a manifest named by tag,
        // a repository that does not exist
        var answers = new[]
        {
            await CodeAsync(await PostJsonAsync($"/api/v0/repositories/{repo}/signingPolicies", new { rules = Array.Empty<object>() })),
            await CodeAsync(await PostJsonAsync($"/api/v0/repositories/{repo}/signingPolicies", new { rules = new[] { new { field = "tag", @operator = "xx", values = new[] { "a" } } } })),
            await CodeAsync(await _oci.Http.GetAsync($"/api/v0/repositories/{repo}/signingPolicies/nope")),
            await CodeAsync(await _oci.Http.GetAsync($"/api/v0/repositories/{repo}/trustPolicy")),
            await CodeAsync(await _oci.Http.GetAsync($"/api/v0/repositories/{repo}/manifests/v1/signatures")),
            await CodeAsync(await _oci.Http.GetAsync($"/api/v0/repositories/{repo}x/signingPolicies")),
        };

        // Assert
        Assert.Equal(new[]
        {
            (400, "INVALID_FORM_FIELD"), (400, "INVALID_FORM_FIELD"), (404, "NO_SUCH_SIGNING_POLICY"), (404, "NO_SUCH_TRUST_POLICY"),
            (400, "INVALID_PARAMETER"), (404, "NO_SUCH_REPOSITORY"),
        }, answers);
    }

    private static async Task<(int, string)> CodeAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return ((int)response.StatusCode, body.GetProperty("errors")[0].GetProperty("code").GetString()!);
        }
    }

    [Fact]
    public async Task SignJob_CertificateDocumentUnreadable_RetriedThenPoisonedThenSignedWhenRequeued()
    {
        // Arrange: a host of its own whose signing certificate document is garbage
        await using var host = await RegistryHost.StartAsync();
        var oci = new OciTestClient(host.Client);
        var container = new BlobContainerClient(AzuriteCheck.ConnectionString, host.StoragePrefix);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient("keys/image-signing.p12.b64").UploadAsync(BinaryData.FromString("not base64 PKCS#12"), overwrite: true);
        var repo = OciTestClient.NewRepository("poison");
        await oci.PushImageAsync(repo, "seed");
        using (var created = await PostJsonAsync($"/api/v0/repositories/{repo}/signingPolicies", new { rules = new[] { new { field = "tag", @operator = "eq", values = new[] { "v1" } } } }, host.Client))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // Act: five tries, 30 s apart (host.json's visibilityTimeout), then the poison queue
        var image = await oci.PushImageAsync(repo, "v1");
        var queues = AzuriteCheck.ConnectionString + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;";
        var poison = new QueueClient(queues, host.StoragePrefix + "-signatures-poison");
        string? message = null;
        Assert.True(await Poll.UntilAsync(async () =>
        {
            if (!(await poison.ExistsAsync()).Value)
            {
                return false;
            }

            var peeked = (await poison.PeekMessagesAsync(1)).Value;
            message = peeked.Length > 0 ? peeked[0].Body.ToString() : null;
            return message is not null;
        }, TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(2)), "the job never reached the poison queue\n" + host.Output);
        Assert.Empty((await ReferrersAsync(repo, image.Digest, host.Client)).EnumerateArray());

        // ... the document removed (the registry makes a new CA) and the job put back
        await container.GetBlobClient("keys/image-signing.p12.b64").DeleteAsync();
        await new QueueClient(queues, host.StoragePrefix + "-signatures").SendMessageAsync(message);

        // Assert
        var signature = await WaitForSignatureAsync(repo, image.Digest, host.Client);
        Assert.Equal("application/vnd.cncf.notary.signature", signature.GetProperty("artifactType").GetString());
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /// <summary>
    /// The OSV fixture loaded (openssl 1.1.1j on Alpine 3.13 has a major CVE) and a new repository that scans on push,
    /// with the signing policy <paramref name="policy"/>; returns the repository's name.
    /// </summary>
    private async Task<string> ScanningRepositoryAsync(object policy)
    {
        using (var update = await _oci.Http.PutAsync("/api/v0/imagescan/scan/update", new ByteArrayContent(OsvFixture.Zip())))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        }

        var repo = OciTestClient.NewRepository("sign");
        await _oci.PushImageAsync(repo, "seed");
        await PatchRepositoryAsync(repo, new { scanOnPush = true });
        using var created = await PostJsonAsync($"/api/v0/repositories/{repo}/signingPolicies", policy);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return repo;
    }

    private async Task PatchRepositoryAsync(string repo, object settings, HttpClient? client = null)
    {
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v0/repositories/{repo}") { Content = Json(settings) };
        using var patched = await (client ?? _oci.Http).SendAsync(patch);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
    }

    private async Task<HttpStatusCode> PullStatusAsync(string repo, string reference, OciTestClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repo}/manifests/{reference}");
        request.Headers.Accept.ParseAdd(MediaTypes.ImageManifest);
        request.Headers.Accept.ParseAdd(MediaTypes.ImageIndex);
        using var response = await (client ?? _oci).Http.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<JsonElement> WaitForSignatureAsync(string repo, string digest, HttpClient? client = null)
    {
        JsonElement found = default;
        Assert.True(await Poll.UntilAsync(async () =>
        {
            var manifests = (await ReferrersAsync(repo, digest, client)).EnumerateArray().ToList();
            found = manifests.FirstOrDefault(m => m.GetProperty("artifactType").GetString() == MediaTypes.NotarySignature);
            return found.ValueKind == JsonValueKind.Object;
        }, TimeSpan.FromSeconds(60)), $"{repo}@{digest} was not signed\n{_host.Output}");
        return found;
    }

    private async Task<JsonElement> ReferrersAsync(string repo, string digest, HttpClient? client = null)
    {
        using var response = await (client ?? _oci.Http).GetAsync($"/v2/{repo}/referrers/{digest}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("manifests").Clone();
    }

    private async Task<byte[]> ReadEnvelopeAsync(string repo, string signatureDigest)
    {
        using var response = await _oci.Http.GetAsync($"/v2/{repo}/manifests/{signatureDigest}");
        var layer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
        return await _oci.GetBlobAsync(repo, layer);
    }

    /// <summary>Pushes a Notary Project signature by <paramref name="identity"/> of <paramref name="image"/> (or, tampered, of another digest); returns its digest.</summary>
    private async Task<string> PushNotarySignatureAsync(string repo, PushedImage image, SigningIdentity identity, string? signedDigest = null, OciTestClient? client = null)
    {
        var oci = client ?? _oci;
        var size = Encoding.UTF8.GetByteCount(image.Manifest);
        var mediaType = image.Manifest.Contains(MediaTypes.ImageIndex, StringComparison.Ordinal) && !image.Manifest.Contains("\"config\"", StringComparison.Ordinal)
            ? MediaTypes.ImageIndex : MediaTypes.ImageManifest;
        var envelope = NotarySignature.SignCose(identity, mediaType, Parse(signedDigest ?? image.Digest), size, DateTimeOffset.UtcNow);
        await oci.PushBlobAsync(repo, MediaTypes.EmptyJsonContent);
        var envelopeDigest = await oci.PushBlobAsync(repo, envelope);
        var manifest = NotarySignature.Manifest(MediaTypes.CoseEnvelope, Parse(envelopeDigest), envelope.Length, mediaType, Parse(image.Digest), size, identity.Thumbprints);
        var digest = OciTestClient.DigestOf(manifest);
        using var response = await oci.PutManifestAsync(repo, digest, Encoding.UTF8.GetString(manifest));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    /// <summary>Pushes a cosign signature of <paramref name="digest"/> by <paramref name="key"/> under cosign's tag.</summary>
    private async Task PushCosignSignatureAsync(string repo, string digest, ECDsa key)
    {
        var payload = SignatureTests.CosignPayload(Parse(digest), repo);
        var signature = Convert.ToBase64String(key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        var configDigest = await _oci.PushBlobAsync(repo, config);
        var payloadDigest = await _oci.PushBlobAsync(repo, payload);
        var manifest = JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = MediaTypes.ImageManifest,
            config = new { mediaType = MediaTypes.ImageConfig, digest = configDigest, size = config.Length },
            layers = new[]
            {
                new
                {
                    mediaType = MediaTypes.CosignSimpleSigning, digest = payloadDigest, size = payload.Length,
                    annotations = new Dictionary<string, string> { ["dev.cosignproject.cosign/signature"] = signature },
                },
            },
        });
        using var response = await _oci.PutManifestAsync(repo, SignatureService.CosignTag(Parse(digest)), manifest);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task<PushedImage> PushIndexAsync(string repo, string tag, PushedImage child)
    {
        var index = JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = MediaTypes.ImageIndex,
            manifests = new[]
            {
                new { mediaType = MediaTypes.ImageManifest, digest = child.Digest, size = Encoding.UTF8.GetByteCount(child.Manifest), platform = new { os = "linux", architecture = "amd64" } },
            },
        });
        using var response = await _oci.PutManifestAsync(repo, tag, index, MediaTypes.ImageIndex);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return new PushedImage(OciTestClient.DigestOf(Encoding.UTF8.GetBytes(index)), index, "", []);
    }

    private async Task PutTrustAsync(string path, bool enforce, string[]? certificates = null, string[]? publicKeys = null)
    {
        using var response = await _oci.Http.PutAsync(path, Json(new { enforce, certificates = certificates ?? [], publicKeys = publicKeys ?? [] }));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private async Task<HttpResponseMessage> PostJsonAsync(string path, object body, HttpClient? client = null) =>
        await (client ?? _oci.Http).PostAsync(path, Json(body));

    private async Task<JsonElement> PostForJsonAsync(string path, object body)
    {
        using var response = await PostJsonAsync(path, body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _oci.Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static StringContent Json(object body)
    {
        var content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static Digest Parse(string digest) => Digest.TryParse(digest, out var parsed) ? parsed : throw new ArgumentException(digest);
}
