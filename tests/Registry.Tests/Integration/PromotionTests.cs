using System.Net;
using System.Text.Json;
using Registry.Oci;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Promotion policies and manual promotion through /api/v0 on a host with authentication on: a push to the source
/// promotes matching tags under the template, images and indexes arrive whole by mount, existing tags are promoted
/// on create (initialEvaluation), chains, immutable target tags, and permissions.
/// Inputs tried: an unknown directive, a template rendering an invalid tag, a target that is not ns/repo, a missing
/// target, the source as target, no rules, an unknown policy id, a missing source tag, an invalid target tag.
/// </summary>
public sealed class PromotionTests : IAsyncLifetime
{
    private const string Password = "a-user-password-1";
    private RegistryHost _host = null!;
    private AuthClient _auth = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync(settings: AuthClient.Settings);
        _auth = new AuthClient(_host.Client);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static object Policy(string target, string template, string field = "tag", string op = "sw", params string[] values) =>
        new { enabled = true, targetRepository = target, tagTemplate = template, rules = new[] { new { field, @operator = op, values } } };

    [Fact]
    public async Task PushToSource_MatchingTag_PromotedUnderTemplateAndPullableFromTarget()
    {
        // Arrange
        var src = await _auth.AdminRepositoryAsync("src1", new { name = "src1" });
        var prod = await _auth.AdminRepositoryAsync("prod1", new { name = "prod1" });
        using var created = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src1/promotionPolicies", Policy("admin/prod1", "%n-%Y", values: "release-"));

        // Act
        var release = await src.PushImageAsync("admin/src1", "release-1");
        var dev = await src.PushImageAsync("admin/src1", "dev-1");

        // Assert: the release tag arrived with the same digest and its blobs; the dev tag did not
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var target = $"release-1-{DateTime.UtcNow.Year}";
        using var manifest = await prod.Http.GetAsync($"/v2/admin/prod1/manifests/{target}");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(release.Digest, manifest.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(release.Layer, await prod.GetBlobAsync("admin/prod1", release.LayerDigest));
        var tags = await TagsAsync(prod, "admin/prod1");
        Assert.Equal(new[] { target }, tags);
        Assert.DoesNotContain(tags, t => t.StartsWith("dev", StringComparison.Ordinal));
        using var head = await prod.HeadAsync($"/v2/admin/prod1/blobs/{dev.LayerDigest}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        var policy = JsonDocument.Parse(await (await Api(HttpMethod.Get, "/api/v0/repositories/admin/src1/promotionPolicies")).Content.ReadAsStringAsync()).RootElement[0];
        Assert.Equal("admin/src1", policy.GetProperty("sourceRepository").GetString());
        Assert.Equal("admin/prod1", policy.GetProperty("targetRepository").GetString());
        Assert.NotEqual(JsonValueKind.Null, policy.GetProperty("lastPromotedAt").ValueKind);
        var asTarget = JsonDocument.Parse(await (await Api(HttpMethod.Get, "/api/v0/repositories/admin/prod1/promotionPolicies?source=false")).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, asTarget.GetArrayLength());
        // ... and DTR's tag in the target says where it came from; the source's tags do not
        var promoted = JsonDocument.Parse(await (await Api(HttpMethod.Get, "/api/v0/repositories/admin/prod1/tags")).Content.ReadAsStringAsync()).RootElement[0];
        DtrContract.AssertMatches(promoted, "ListTag");
        var origin = promoted.GetProperty("promotion");
        Assert.Equal((policy.GetProperty("id").GetString(), "admin/src1", "release-1", release.Digest), (origin.GetProperty("promotionPolicyID").GetString(),
            origin.GetProperty("sourceRepository").GetString(), origin.GetProperty("sourceTag").GetString(), origin.GetProperty("string").GetString()));
        var sourceTags = JsonDocument.Parse(await (await Api(HttpMethod.Get, "/api/v0/repositories/admin/src1/tags")).Content.ReadAsStringAsync()).RootElement;
        Assert.All(sourceTags.EnumerateArray(), t => Assert.False(t.TryGetProperty("promotion", out _)));
    }

    [Fact]
    public async Task CreatePolicy_InitialEvaluation_PromotesExistingIndexWithChildrenAndChains()
    {
        // Arrange: an index of one image, tagged before any policy exists; prod2 promotes on to archive2
        var src = await _auth.AdminRepositoryAsync("src2", new { name = "src2" });
        var prod = await _auth.AdminRepositoryAsync("prod2", new { name = "prod2" });
        await _auth.AdminRepositoryAsync("archive2", new { name = "archive2" });
        var child = await src.PushImageAsync("admin/src2", "child");
        var index = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageIndex}\",\"manifests\":[{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{child.Digest}\",\"size\":{child.Manifest.Length},\"platform\":{{\"architecture\":\"amd64\",\"os\":\"linux\"}}}}]}}";
        using (var put = await src.PutManifestAsync("admin/src2", "v1", index, MediaTypes.ImageIndex))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using var chain = await Api(HttpMethod.Post, "/api/v0/repositories/admin/prod2/promotionPolicies", Policy("admin/archive2", "%n", "tag", "eq", "stable"));

        // Act
        using var created = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src2/promotionPolicies", Policy("admin/prod2", "stable", "tag", "eq", "v1"));

        // Assert: the index and its child reached prod2, and the chain carried them on to archive2
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var promoted = await prod.Http.GetAsync("/v2/admin/prod2/manifests/stable");
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        Assert.Equal(OciTestClient.DigestOf(System.Text.Encoding.UTF8.GetBytes(index)), promoted.Headers.GetValues("Docker-Content-Digest").Single());
        using var childManifest = await prod.Http.GetAsync($"/v2/admin/prod2/manifests/{child.Digest}");
        Assert.Equal(HttpStatusCode.OK, childManifest.StatusCode);
        Assert.Equal(child.Layer, await prod.GetBlobAsync("admin/prod2", child.LayerDigest));
        var token = await _auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, "repository:admin/archive2:pull");
        using var archived = await _auth.SendAsync(HttpMethod.Get, "/v2/admin/archive2/manifests/stable", token);
        Assert.Equal(HttpStatusCode.OK, archived.StatusCode);
    }

    [Fact]
    public async Task PushToSource_PoliciesFormACycle_ChainStopsAfterFivePromotionsAndThePushStands()
    {
        // Arrange: cyc-a promotes "x" to cyc-b as "xx", and cyc-b promotes it back to cyc-a: every promotion appends an x
        var a = await _auth.AdminRepositoryAsync("cyc-a", new { name = "cyc-a" });
        await _auth.AdminRepositoryAsync("cyc-b", new { name = "cyc-b" });
        using var ab = await Api(HttpMethod.Post, "/api/v0/repositories/admin/cyc-a/promotionPolicies", Policy("admin/cyc-b", "%nx", values: "x"));
        using var ba = await Api(HttpMethod.Post, "/api/v0/repositories/admin/cyc-b/promotionPolicies", Policy("admin/cyc-a", "%nx", values: "x"));

        // Act
        var image = await a.PushImageAsync("admin/cyc-a", "x");

        // Assert: x (pushed), xx in b, xxx in a, xxxx in b, xxxxx in a, xxxxxx in b: five promotions, then no more
        var token = await _auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, "repository:admin/cyc-b:pull");
        using var listB = await _auth.SendAsync(HttpMethod.Get, "/v2/admin/cyc-b/tags/list", token);
        var tagsB = JsonDocument.Parse(await listB.Content.ReadAsStringAsync()).RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["xx", "xxxx", "xxxxxx"], tagsB);
        Assert.Equal(["x", "xxx", "xxxxx"], await TagsAsync(a, "admin/cyc-a"));
        using var pushed = await a.Http.GetAsync($"/v2/admin/cyc-a/manifests/{image.Digest}");
        Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
    }

    [Fact]
    public async Task PushToSource_TargetTagImmutable_PushSucceedsAndTargetKeepsFirstImage()
    {
        // Arrange
        var src = await _auth.AdminRepositoryAsync("src3", new { name = "src3" });
        var prod = await _auth.AdminRepositoryAsync("prod3", new { name = "prod3", immutableTags = true });
        using var created = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src3/promotionPolicies", Policy("admin/prod3", "latest", "tag", "sw", "v"));

        // Act
        var first = await src.PushImageAsync("admin/src3", "v1");
        var second = await src.PushImageAsync("admin/src3", "v2");

        // Assert: both pushes succeeded (PushImageAsync checks 201); the immutable target tag kept the first image
        using var latest = await prod.Http.GetAsync("/v2/admin/prod3/manifests/latest");
        Assert.Equal(first.Digest, latest.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.NotEqual(first.Digest, second.Digest);
    }

    [Fact]
    public async Task PromoteTag_Manually_CopiesImageAndMapsErrors()
    {
        // Arrange
        var src = await _auth.AdminRepositoryAsync("src4", new { name = "src4" });
        var prod = await _auth.AdminRepositoryAsync("prod4", new { name = "prod4", immutableTags = true });
        var image = await src.PushImageAsync("admin/src4", "rc");
        var other = await src.PushImageAsync("admin/src4", "rc2");

        // Act
        using var promoted = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src4/tags/rc/promotion", new { targetRepository = "admin/prod4", targetTag = "1.0" });
        using var again = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src4/tags/rc2/promotion", new { targetRepository = "admin/prod4", targetTag = "1.0" });
        using var missing = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src4/tags/nope/promotion", new { targetRepository = "admin/prod4", targetTag = "x" });
        using var badTag = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src4/tags/rc/promotion", new { targetRepository = "admin/prod4", targetTag = "-x" });

        // Assert
        Assert.Equal(HttpStatusCode.Created, promoted.StatusCode);
        using var body = JsonDocument.Parse(await promoted.Content.ReadAsStringAsync());
        Assert.Equal("MANUAL_P", body.RootElement.GetProperty("promotionPolicyID").GetString());
        Assert.Equal(image.Digest, body.RootElement.GetProperty("digest").GetString());
        Assert.Equal(image.Layer, await prod.GetBlobAsync("admin/prod4", image.LayerDigest));
        Assert.Equal("TAG_IMMUTABLE", await AuthClient.ErrorCodeAsync(again));
        Assert.Equal("NO_SUCH_TAG", await AuthClient.ErrorCodeAsync(missing));
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(badTag));
        Assert.NotEqual(image.Digest, other.Digest);
    }

    [Theory]
    [InlineData("admin/prod5", "%q", "INVALID_FORM_FIELD")]
    [InlineData("admin/prod5", "a/b-%n", "INVALID_FORM_FIELD")]
    [InlineData("prod5", "%n", "INVALID_FORM_FIELD")]
    [InlineData("admin/absent", "%n", "NO_SUCH_REPOSITORY")]
    [InlineData("admin/src5", "%n", "INVALID_FORM_FIELD")]
    public async Task CreatePolicy_BadInput_DtrError(string target, string template, string code)
    {
        // Arrange
        await _auth.AdminRepositoryAsync("src5", new { name = "src5" });
        await _auth.AdminRepositoryAsync("prod5", new { name = "prod5" });

        // Act
        using var response = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src5/promotionPolicies", Policy(target, template, values: "v"));

        // Assert
        Assert.Equal(code, await AuthClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task PolicyCrud_RulesAndIdsChecked()
    {
        // Arrange
        await _auth.AdminRepositoryAsync("src6", new { name = "src6" });
        await _auth.AdminRepositoryAsync("prod6", new { name = "prod6" });

        // Act
        using var noRules = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src6/promotionPolicies", new { targetRepository = "admin/prod6", tagTemplate = "%n", rules = Array.Empty<object>() });
        using var created = await Api(HttpMethod.Post, "/api/v0/repositories/admin/src6/promotionPolicies?initialEvaluation=false", Policy("admin/prod6", "%n", values: "v"));
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var updated = await Api(HttpMethod.Put, $"/api/v0/repositories/admin/src6/promotionPolicies/{id}", Policy("admin/prod6", "%n-prod", values: "v"));
        using var unknown = await Api(HttpMethod.Put, "/api/v0/repositories/admin/src6/promotionPolicies/nope", Policy("admin/prod6", "%n", values: "v"));
        using var deleted = await Api(HttpMethod.Delete, $"/api/v0/repositories/admin/src6/promotionPolicies/{id}");
        using var gone = await Api(HttpMethod.Get, $"/api/v0/repositories/admin/src6/promotionPolicies/{id}");
        using var badFlag = await Api(HttpMethod.Get, "/api/v0/repositories/admin/src6/promotionPolicies?source=maybe");

        // Assert
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(noRules));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("%n-prod", JsonDocument.Parse(await updated.Content.ReadAsStringAsync()).RootElement.GetProperty("tagTemplate").GetString());
        Assert.Equal("NO_SUCH_PROMOTION_POLICY", await AuthClient.ErrorCodeAsync(unknown));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal("NO_SUCH_PROMOTION_POLICY", await AuthClient.ErrorCodeAsync(gone));
        Assert.Equal("INVALID_PARAMETER", await AuthClient.ErrorCodeAsync(badFlag));
    }

    [Fact]
    public async Task CreatePolicy_AdminOfSourceOnly_NotAuthorized()
    {
        // Arrange: erin owns her namespace's repository; the target is the administrator's
        await _auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "erin", password = Password });
        await _auth.AdminRepositoryAsync("prod7", new { name = "prod7", visibility = "public" });
        using var own = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/erin", "erin", Password, new { name = "mine" });

        // Act
        using var refused = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/erin/mine/promotionPolicies", "erin", Password, Policy("admin/prod7", "%n", values: "v"));
        using var manual = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/erin/mine/tags/v1/promotion", "erin", Password, new { targetRepository = "admin/prod7", targetTag = "v1" });

        // Assert
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal("NOT_AUTHORIZED", await AuthClient.ErrorCodeAsync(refused));
        Assert.Equal("NOT_AUTHORIZED", await AuthClient.ErrorCodeAsync(manual));
    }

    private Task<HttpResponseMessage> Api(HttpMethod method, string path, object? body = null) =>
        _auth.ApiAsync(method, path, AuthClient.AdminUser, AuthClient.AdminPassword, body);

    private static async Task<string[]> TagsAsync(OciTestClient oci, string repository)
    {
        using var response = await oci.Http.GetAsync($"/v2/{repository}/tags/list");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order(StringComparer.Ordinal).ToArray();
    }
}
