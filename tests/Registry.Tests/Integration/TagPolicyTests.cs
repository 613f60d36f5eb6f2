using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Immutable tags and the tag limit, through /v2/ and /api/v0 on a host with authentication on: the
/// administrator configures repositories of its own namespace and pushes with a token.
/// </summary>
public sealed class TagPolicyIntegrationTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task ImmutableRepository_FirstPushAllowed_OverwriteAndDeleteDeniedNamingTheTag()
    {
        // Arrange
        var oci = await Auth.AdminRepositoryAsync("immutable", new { name = "immutable", immutableTags = true });
        var a = await oci.PushImageAsync("admin/immutable", "v1");
        var b = await oci.PushImageAsync("admin/immutable", "other");

        // Act
        using var overwrite = await oci.PutManifestAsync("admin/immutable", "v1", b.Manifest);
        using var samePush = await oci.PutManifestAsync("admin/immutable", "v1", a.Manifest);
        using var deleteTag = await oci.Http.DeleteAsync("/v2/admin/immutable/manifests/v1");
        using var deleteDigest = await oci.Http.DeleteAsync($"/v2/admin/immutable/manifests/{a.Digest}");
        using var apiDelete = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositories/admin/immutable/tags/v1", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var still = await oci.Http.GetAsync("/v2/admin/immutable/manifests/v1");

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, overwrite.StatusCode);
        Assert.Equal("DENIED", await OciTestClient.ErrorCodeAsync(overwrite));
        Assert.Contains("tag=v1", await overwrite.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, samePush.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, deleteTag.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, deleteDigest.StatusCode);
        Assert.Equal("TAG_IMMUTABLE", await AuthClient.ErrorCodeAsync(apiDelete));
        Assert.Equal(a.Digest, still.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Theory]
    [InlineData("flag-before", "v1", true)]
    [InlineData("flag-after", "v1", false)]
    [InlineData("pattern", "release-1", true)]
    public async Task DeleteByDigest_ChildOrReferrerOfImmutablyTaggedIndex_DeniedNamingTheTag(string rule, string tag, bool ruleBeforePush)
    {
        // Arrange: an index of one image, tagged; an SBOM-like referrer of the index; the rule set before or after the push
        var repo = "ti" + rule.Replace("-", "", StringComparison.Ordinal) + Guid.NewGuid().ToString("N")[..6];
        object rules = rule == "pattern" ? new { immutableTagPatterns = new[] { "release-*" } } : new { immutableTags = true };
        var oci = await Auth.AdminRepositoryAsync(repo, ruleBeforePush ? Merge(repo, rules) : new { name = repo });
        var name = $"admin/{repo}";
        var child = await oci.PushImageAsync(name, "child-tag-removed-below");
        using (await oci.Http.DeleteAsync($"/v2/{name}/manifests/child-tag-removed-below"))
        {
        }

        var index = IndexJson(child);
        using (var put = await oci.PutManifestAsync(name, tag, index, Registry.Oci.MediaTypes.ImageIndex))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var indexDigest = OciTestClient.DigestOf(System.Text.Encoding.UTF8.GetBytes(index));
        var referrer = await oci.PushImageAsync(name, "sbom-tag-removed-below",
            subjectJson: $"{{\"mediaType\":\"{Registry.Oci.MediaTypes.ImageIndex}\",\"digest\":\"{indexDigest}\",\"size\":{index.Length}}}",
            artifactType: "application/vnd.example.sbom");
        using (await oci.Http.DeleteAsync($"/v2/{name}/manifests/sbom-tag-removed-below"))
        {
        }

        if (!ruleBeforePush)
        {
            await Auth.AdminAsync(HttpMethod.Patch, $"/api/v0/repositories/{name}", rules);
        }

        // Act: the attacker's requests, each a delete by digest of something the immutable tag reaches
        using var deleteChild = await oci.Http.DeleteAsync($"/v2/{name}/manifests/{child.Digest}");
        using var deleteReferrer = await oci.Http.DeleteAsync($"/v2/{name}/manifests/{referrer.Digest}");
        using var childStill = await oci.HeadAsync($"/v2/{name}/manifests/{child.Digest}");
        using var referrerStill = await oci.HeadAsync($"/v2/{name}/manifests/{referrer.Digest}");

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, deleteChild.StatusCode);
        Assert.Equal("DENIED", await OciTestClient.ErrorCodeAsync(deleteChild));
        Assert.Contains($"tag={tag}", await deleteChild.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, deleteReferrer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, childStill.StatusCode);
        Assert.Equal(HttpStatusCode.OK, referrerStill.StatusCode);
    }

    [Fact]
    public async Task DeleteByDigest_ChildOfIndexWhoseTagMatchesNoRule_Allowed()
    {
        // Arrange: only release-* tags are immutable; the index is tagged dev
        var repo = "tifree" + Guid.NewGuid().ToString("N")[..6];
        var oci = await Auth.AdminRepositoryAsync(repo, new { name = repo, immutableTagPatterns = new[] { "release-*" } });
        var name = $"admin/{repo}";
        var child = await oci.PushImageAsync(name, "dev-child");
        using (var put = await oci.PutManifestAsync(name, "dev", IndexJson(child), Registry.Oci.MediaTypes.ImageIndex))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Act
        using var delete = await oci.Http.DeleteAsync($"/v2/{name}/manifests/{child.Digest}");

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
    }

    private static string IndexJson(PushedImage child) =>
        $"{{\"schemaVersion\":2,\"mediaType\":\"{Registry.Oci.MediaTypes.ImageIndex}\",\"manifests\":[{{\"mediaType\":\"{Registry.Oci.MediaTypes.ImageManifest}\"," +
        $"\"digest\":\"{child.Digest}\",\"size\":{child.Manifest.Length},\"platform\":{{\"architecture\":\"amd64\",\"os\":\"linux\"}}}}]}}";

    private static Dictionary<string, object> Merge(string repo, object rules)
    {
        var merged = JsonSerializer.SerializeToElement(rules).EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value);
        merged["name"] = repo;
        return merged;
    }

    [Fact]
    public async Task ImmutabilityPatterns_ProtectMatchingTagsOnly()
    {
        // Arrange
        var oci = await Auth.AdminRepositoryAsync("patterns", new { name = "patterns", immutableTagPatterns = new[] { "v*", "release-*" } });
        var a = await oci.PushImageAsync("admin/patterns", "v1.0");
        var b = await oci.PushImageAsync("admin/patterns", "latest");

        // Act
        using var release = await oci.PutManifestAsync("admin/patterns", "release-1", a.Manifest);
        using var releaseMove = await oci.PutManifestAsync("admin/patterns", "release-1", b.Manifest);
        using var versionMove = await oci.PutManifestAsync("admin/patterns", "v1.0", b.Manifest);
        using var latestMove = await oci.PutManifestAsync("admin/patterns", "latest", a.Manifest);
        using var latestDelete = await oci.Http.DeleteAsync("/v2/admin/patterns/manifests/latest");
        using var badPattern = await Auth.ApiAsync(HttpMethod.Patch, "/api/v0/repositories/admin/patterns", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { immutableTagPatterns = new[] { "a/b" } });

        // Assert
        Assert.Equal(HttpStatusCode.Created, release.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, releaseMove.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, versionMove.StatusCode);
        Assert.Equal(HttpStatusCode.Created, latestMove.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, latestDelete.StatusCode);
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(badPattern));
    }

    [Fact]
    public async Task TagLimit_NewTagBeyondLimit_PushesOutOldestFirstPushButNeverImmutable()
    {
        // Arrange: limit 3; "keep-*" is immutable
        var oci = await Auth.AdminRepositoryAsync("limited", new { name = "limited", tagLimit = 3, immutableTagPatterns = new[] { "keep-*" } });
        var image = await oci.PushImageAsync("admin/limited", "keep-1");
        foreach (var tag in new[] { "a", "b" })
        {
            await Task.Delay(20);
            using var put = await oci.PutManifestAsync("admin/limited", tag, image.Manifest);
        }

        // Act: moving "a" keeps its first-push time; then "c" and "d" are new
        var other = await oci.PushImageAsync("admin/limited", "a");
        await Task.Delay(20);
        using var c = await oci.PutManifestAsync("admin/limited", "c", image.Manifest);
        await Task.Delay(20);
        using var d = await oci.PutManifestAsync("admin/limited", "d", other.Manifest);

        using var listed = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/repositories/admin/limited/tags", AuthClient.AdminUser, AuthClient.AdminPassword);
        var tags = JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToDictionary(
            t => t.GetProperty("name").GetString()!, t => (Created: t.GetProperty("createdAt").GetDateTimeOffset(), Updated: t.GetProperty("updatedAt").GetDateTimeOffset()));

        // Assert: a, then b went (oldest first pushes); keep-1 stays although it is the oldest
        Assert.Equal(new[] { "c", "d", "keep-1" }, await TagsAsync(oci, "admin/limited"));
        Assert.True(tags["keep-1"].Created < tags["c"].Created && tags["c"].Created < tags["d"].Created);
    }

    [Fact]
    public async Task TagLimit_ConcurrentPushes_LeaveExactlyTheLimit()
    {
        // Arrange
        var oci = await Auth.AdminRepositoryAsync("racing", new { name = "racing", tagLimit = 3 });
        var image = await oci.PushImageAsync("admin/racing", "first");

        // Act: ten new tags pushed at once
        var pushes = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => oci.PutManifestAsync("admin/racing", $"t{i}", image.Manifest)));

        // Assert
        Assert.All(pushes, p => Assert.Equal(HttpStatusCode.Created, p.StatusCode));
        Assert.Equal(3, (await TagsAsync(oci, "admin/racing")).Length);
        foreach (var p in pushes)
        {
            p.Dispose();
        }
    }

    [Fact]
    public async Task ImmutableTag_TwoFirstPushesAtOnce_ExactlyOneWins()
    {
        // Arrange
        var oci = await Auth.AdminRepositoryAsync("firstwins", new { name = "firstwins", immutableTags = true });
        var a = await oci.PushImageAsync("admin/firstwins", "base-a");
        var b = await oci.PushImageAsync("admin/firstwins", "base-b");

        // Act
        var pushes = await Task.WhenAll(oci.PutManifestAsync("admin/firstwins", "race", a.Manifest), oci.PutManifestAsync("admin/firstwins", "race", b.Manifest));
        using var get = await oci.Http.GetAsync("/v2/admin/firstwins/manifests/race");

        // Assert
        Assert.Single(pushes, p => p.StatusCode == HttpStatusCode.Created);
        Assert.Single(pushes, p => p.StatusCode == HttpStatusCode.Forbidden);
        var winner = pushes.Single(p => p.StatusCode == HttpStatusCode.Created).Headers.GetValues("Docker-Content-Digest").Single();
        Assert.Equal(winner, get.Headers.GetValues("Docker-Content-Digest").Single());
        foreach (var p in pushes)
        {
            p.Dispose();
        }
    }

    private static async Task<string[]> TagsAsync(OciTestClient oci, string repo) =>
        JsonDocument.Parse(await oci.Http.GetStringAsync($"/v2/{repo}/tags/list")).RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray();
}
