using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// DTR's push and poll mirroring policies between two hosts of ours with authentication on, each with its own storage
/// and accounts. The local host runs its poll timer every two seconds and may reach the remote at loopback.
/// </summary>
public sealed class MirroringPolicyTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _events = "mirroring-events-" + Guid.NewGuid().ToString("N")[..12];
    private RegistryHost _local = null!;
    private RegistryHost _remote = null!;
    private AuthClient _auth = null!;
    private AuthClient _remoteAuth = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string>(AuthClient.Settings)
        {
            ["Registry__Mirroring__AllowPrivateNetworks"] = "true",
            ["Registry__Mirroring__PollSchedule"] = "*/2 * * * * *",
            ["Registry__Events__Publisher"] = "queue",
            ["Registry__Events__Queue"] = _events,
        };
        _local = await RegistryHost.StartAsync(settings: settings);
        _remote = await RegistryHost.StartAsync(settings: AuthClient.Settings);
        _auth = new AuthClient(_local.Client);
        _remoteAuth = new AuthClient(_remote.Client);
    }

    public async Task DisposeAsync()
    {
        await _local.DisposeAsync();
        await _remote.DisposeAsync();
    }

    [Fact]
    public async Task PushMirroringPolicy_PushedTagsMeetingRules_ReachTheRemoteUnderTheTemplate()
    {
        // Arrange: a policy for tags starting with release-, renamed <tag>-mirror on the remote
        var oci = await _auth.AdminRepositoryAsync("app", new { name = "app" });
        var policy = await _auth.JsonAsync(HttpMethod.Post, "/api/v0/repositories/admin/app/pushMirroringPolicies", AuthClient.AdminUser, AuthClient.AdminPassword,
            new
            {
                rules = new[] { new { field = "tag", @operator = "sw", values = new[] { "release-" } } },
                tagTemplate = "%n-mirror", enabled = true, remoteHost = _remote.BaseAddress.ToString(), remoteRepository = "admin/copy",
                username = "admin", password = AuthClient.AdminPassword,
            }, HttpStatusCode.Created);
        var id = policy.GetProperty("id").GetString();

        // Act: one tag the rules take, one they do not
        var release = await oci.PushImageAsync("admin/app", "release-1");
        await oci.PushImageAsync("admin/app", "dev-1");

        // Assert: the remote has the release under the template, and not the other; the policy says it succeeded
        var remote = await _remoteAuth.AdminClientAsync("repository:admin/copy:pull");
        Assert.True(await Poll.UntilAsync(async () => await RemoteTagsAsync(remote, "admin/copy") is { } tags && tags.Contains("release-1-mirror"), Deadline),
            "release-1 never reached the remote as release-1-mirror");
        Assert.Equal(release.Digest, await DigestOrNullAsync(remote, "admin/copy", "release-1-mirror"));
        Assert.Equal(release.Layer, await remote.GetBlobAsync("admin/copy", release.LayerDigest));
        JsonElement read = default;
        Assert.True(await Poll.UntilAsync(async () =>
        {
            read = await _auth.JsonAsync(HttpMethod.Get, $"/api/v0/repositories/admin/app/pushMirroringPolicies/{id}", AuthClient.AdminUser, AuthClient.AdminPassword, null, HttpStatusCode.OK);
            return read.GetProperty("lastStatus").GetProperty("code").GetString() == "SUCCESS";
        }, Deadline));
        DtrContract.AssertMatches(policy, "PushMirroringPolicy");
        DtrContract.AssertMatches(read, "PushMirroringPolicy");
        Assert.NotEqual("0001-01-01T00:00:00Z", read.GetProperty("lastMirroredAt").GetString());
        Assert.Equal(("admin", "admin/app", "%n-mirror"), (read.GetProperty("username").GetString(), read.GetProperty("localRepository").GetString(),
            read.GetProperty("tagTemplate").GetString()));
        Assert.DoesNotContain("dev-1-mirror", await RemoteTagsAsync(remote, "admin/copy") ?? []);
        var mirrored = await EventAsync("PUSH_MIRRORING");
        Assert.Equal(("admin", "app", "release-1", release.Digest, "admin/copy", "release-1-mirror", id),
            (mirrored.GetProperty("namespace").GetString(), mirrored.GetProperty("repository").GetString(), mirrored.GetProperty("tag").GetString(),
             mirrored.GetProperty("digest").GetString(), mirrored.GetProperty("remoteRepository").GetString(), mirrored.GetProperty("remoteTag").GetString(),
             mirrored.GetProperty("mirroringPolicy").GetString()));
        var all = await _auth.JsonAsync(HttpMethod.Get, "/api/v0/repositories/admin/app/mirroringPolicies", AuthClient.AdminUser, AuthClient.AdminPassword, null, HttpStatusCode.OK);
        DtrContract.AssertMatches(all[0], "MirroringPolicy");
        Assert.Equal("push", all[0].GetProperty("mirroringType").GetString());

        // ... and the password is kept sealed: neither the answers nor the stored row hold it
        Assert.DoesNotContain(AuthClient.AdminPassword, policy.GetRawText() + read.GetRawText() + all.GetRawText(), StringComparison.Ordinal);
        var table = new TableClient(AzuriteCheck.ConnectionString, _local.StoragePrefix + "MirroringPolicies");
        var row = await table.GetEntityAsync<TableEntity>("admin:app", id);
        Assert.False(string.IsNullOrEmpty(row.Value.GetString("SealedPassword")));
        Assert.DoesNotContain(row.Value, p => p.Value is string s && s.Contains(AuthClient.AdminPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PollMirroringPolicy_RemoteTags_BroughtInAtOnceAndThenByTheTimer()
    {
        // Arrange: a remote repository with one image, an empty local repository
        var upstream = await _remoteAuth.AdminClientAsync("repository:admin/upstream:pull,push");
        var first = await upstream.PushImageAsync("admin/upstream", "v1");
        var oci = await _auth.AdminRepositoryAsync("mirror", new { name = "mirror" });

        // Act: a poll policy (run at once), then a new tag and a moved tag on the remote, which the timer brings
        var policy = await _auth.JsonAsync(HttpMethod.Post, "/api/v0/repositories/admin/mirror/pollMirroringPolicies", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { enabled = true, remoteHost = _remote.BaseAddress.ToString(), remoteRepository = "admin/upstream", username = "admin", password = AuthClient.AdminPassword },
            HttpStatusCode.Created);
        Assert.True(await Poll.UntilAsync(async () => await DigestOrNullAsync(oci, "admin/mirror", "v1") == first.Digest, Deadline), "v1 was not brought in");
        var second = await upstream.PushImageAsync("admin/upstream", "v2");
        var moved = await upstream.PushImageAsync("admin/upstream", "v1");

        // Assert: both arrive, with their blobs; the tag's author is the policy's run; DTR's model
        Assert.True(await Poll.UntilAsync(async () => await DigestOrNullAsync(oci, "admin/mirror", "v2") == second.Digest && await DigestOrNullAsync(oci, "admin/mirror", "v1") == moved.Digest,
            Deadline), "the timer did not bring v2 and the moved v1");
        Assert.Equal(second.Layer, await oci.GetBlobAsync("admin/mirror", second.LayerDigest));
        var tags = await _auth.JsonAsync(HttpMethod.Get, "/api/v0/repositories/admin/mirror/tags", AuthClient.AdminUser, AuthClient.AdminPassword, null, HttpStatusCode.OK);
        Assert.All(tags.EnumerateArray(), t => Assert.Equal("poll-mirroring", t.GetProperty("author").GetString()));
        var v1 = tags.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "v1");
        DtrContract.AssertMatches(v1, "ListTag");
        Assert.Equal((policy.GetProperty("id").GetString(), "admin/upstream", "v1", moved.Digest), (v1.GetProperty("mirroring").GetProperty("mirroringPolicyID").GetString(),
            v1.GetProperty("mirroring").GetProperty("remoteRepository").GetString(), v1.GetProperty("mirroring").GetProperty("remoteTag").GetString(),
            v1.GetProperty("mirroring").GetProperty("digest").GetString()));
        DtrContract.AssertMatches(policy, "PollMirroringPolicy");
        var listed = await _auth.JsonAsync(HttpMethod.Get, "/api/v0/repositories/admin/mirror/pollMirroringPolicies", AuthClient.AdminUser, AuthClient.AdminPassword, null, HttpStatusCode.OK);
        DtrContract.AssertMatches(listed[0], "PollMirroringPolicy");
        Assert.Equal("SUCCESS", listed[0].GetProperty("lastStatus").GetProperty("code").GetString());
        Assert.False(listed[0].TryGetProperty("rules", out _));
        var polled = await EventAsync("POLL_MIRRORING");
        Assert.Equal(("mirror", "admin/upstream", "poll-mirroring", policy.GetProperty("id").GetString()), (polled.GetProperty("repository").GetString(),
            polled.GetProperty("remoteRepository").GetString(), polled.GetProperty("author").GetString(), polled.GetProperty("mirroringPolicy").GetString()));
    }

    [Fact]
    public async Task PollMirroringPolicy_ReadOnlyRegistry_PollsNothingUntilWritableAgain()
    {
        // Arrange: a remote image; the local registry made read-only
        var upstream = await _remoteAuth.AdminClientAsync("repository:admin/frozen:pull,push");
        var image = await upstream.PushImageAsync("admin/frozen", "v1");
        var oci = await _auth.AdminRepositoryAsync("frozen", new { name = "frozen" });
        await SetReadOnlyAsync(true);

        // Act: a poll policy while read-only, then writable again
        var policy = await _auth.JsonAsync(HttpMethod.Post, "/api/v0/repositories/admin/frozen/pollMirroringPolicies", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { enabled = true, remoteHost = _remote.BaseAddress.ToString(), remoteRepository = "admin/frozen", username = "admin", password = AuthClient.AdminPassword },
            HttpStatusCode.Created);
        var path = $"/api/v0/repositories/admin/frozen/pollMirroringPolicies/{policy.GetProperty("id").GetString()}";
        JsonElement status = default;
        var failed = await Poll.UntilAsync(async () =>
        {
            status = (await _auth.JsonAsync(HttpMethod.Get, path, AuthClient.AdminUser, AuthClient.AdminPassword, null, HttpStatusCode.OK)).GetProperty("lastStatus");
            return status.GetProperty("code").GetString() == "FAILED";
        }, Deadline);
        var whileFrozen = await DigestOrNullAsync(oci, "admin/frozen", "v1");
        await SetReadOnlyAsync(false);

        // Assert: refused with the reason and nothing written; written once the registry takes writes again
        Assert.True(failed, "the poll never reported its refusal");
        Assert.Contains("read-only", status.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(whileFrozen);
        Assert.True(await Poll.UntilAsync(async () => await DigestOrNullAsync(oci, "admin/frozen", "v1") == image.Digest, Deadline), "v1 was not brought in after");
    }

    [Fact]
    public async Task MirroringPolicies_BadInputAndOtherUsers_DtrErrorsAndNothingKept()
    {
        // Arrange: a public local repository, a user who may only read it, and a remote user who may only read there
        await _auth.AdminRepositoryAsync("pub", new { name = "pub", visibility = "public" });
        await _auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "viewer", password = "viewer-password-1" });
        await _remoteAuth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "target", visibility = "public" });
        await _remoteAuth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "reader", password = "reader-password-1" });
        var host = _remote.BaseAddress.ToString();
        object Body(string user, string password, string template = "%n") => new
        {
            rules = Array.Empty<object>(), tagTemplate = template, enabled = true, remoteHost = host, remoteRepository = "admin/target", username = user, password,
        };
        const string Push = "/api/v0/repositories/admin/pub/pushMirroringPolicies";

        // Act
        using var wrongPassword = await PostAsync(Push, Body("admin", "not-the-password"));
        using var readOnlyRemote = await PostAsync(Push, Body("reader", "reader-password-1"));
        using var badTemplate = await PostAsync(Push, Body("admin", AuthClient.AdminPassword, "%q"));
        using var noRules = await PostAsync(Push, new { tagTemplate = "%n", remoteHost = host, remoteRepository = "admin/target", username = "admin", password = AuthClient.AdminPassword });
        using var badHost = await PostAsync(Push, new { rules = Array.Empty<object>(), tagTemplate = "%n", remoteHost = "ftp://example.com", remoteRepository = "admin/target" });
        using var byViewer = await _auth.ApiAsync(HttpMethod.Post, Push, "viewer", "viewer-password-1", Body("admin", AuthClient.AdminPassword));
        var created = await _auth.JsonAsync(HttpMethod.Post, Push + "?initialEvaluation=false", AuthClient.AdminUser, AuthClient.AdminPassword,
            Body("admin", AuthClient.AdminPassword), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString();
        using var elsewhere = await _auth.ApiAsync(HttpMethod.Put, $"{Push}/{id}", AuthClient.AdminUser, AuthClient.AdminPassword, new { remoteHost = "https://collector.example.com" });
        using var viewerReads = await _auth.ApiAsync(HttpMethod.Get, Push, "viewer", "viewer-password-1");
        using var asPoll = await _auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/admin/pub/pollMirroringPolicies/{id}", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var unknown = await _auth.ApiAsync(HttpMethod.Get, $"{Push}/no-such-policy", AuthClient.AdminUser, AuthClient.AdminPassword);
        var disabled = await _auth.JsonAsync(HttpMethod.Put, $"{Push}/{id}", AuthClient.AdminUser, AuthClient.AdminPassword, new { enabled = false }, HttpStatusCode.OK);
        using var deleteUnknown = await _auth.ApiAsync(HttpMethod.Delete, $"{Push}/no-such-policy", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var badBulk = await _auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositories/admin/pub/mirroringPolicies", AuthClient.AdminUser, AuthClient.AdminPassword, new[] { new { id = "" } });
        using var bulk = await _auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositories/admin/pub/mirroringPolicies", AuthClient.AdminUser, AuthClient.AdminPassword, new[] { new { id } });
        var left = await _auth.JsonAsync(HttpMethod.Get, "/api/v0/repositories/admin/pub/mirroringPolicies", AuthClient.AdminUser, AuthClient.AdminPassword, null, HttpStatusCode.OK);

        // Assert
        Assert.Equal((HttpStatusCode.BadRequest, "REMOTE_REGISTRY_INVALID_PERMISSIONS"), (wrongPassword.StatusCode, await AuthClient.ErrorCodeAsync(wrongPassword)));
        Assert.Equal((HttpStatusCode.BadRequest, "REMOTE_REGISTRY_INVALID_PERMISSIONS"), (readOnlyRemote.StatusCode, await AuthClient.ErrorCodeAsync(readOnlyRemote)));
        foreach (var invalid in new[] { badTemplate, noRules, badHost })
        {
            Assert.Equal((HttpStatusCode.BadRequest, "INVALID_FORM_FIELD"), (invalid.StatusCode, await AuthClient.ErrorCodeAsync(invalid)));
        }

        Assert.Equal(HttpStatusCode.Forbidden, byViewer.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_FORM_FIELD"), (elsewhere.StatusCode, await AuthClient.ErrorCodeAsync(elsewhere)));
        Assert.Contains("password", await elsewhere.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, viewerReads.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_POLL_MIRRORING_POLICY"), (asPoll.StatusCode, await AuthClient.ErrorCodeAsync(asPoll)));
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_PUSH_MIRRORING_POLICY"), (unknown.StatusCode, await AuthClient.ErrorCodeAsync(unknown)));
        Assert.Equal((false, host.TrimEnd('/')), (disabled.GetProperty("enabled").GetBoolean(), disabled.GetProperty("remoteHost").GetString()));
        Assert.Equal(HttpStatusCode.NoContent, deleteUnknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badBulk.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, bulk.StatusCode);
        Assert.Equal(0, left.GetArrayLength());
    }

    [Fact]
    public async Task DeleteRepository_WithMirroringPolicy_ANewRepositoryOfTheNameHasNone()
    {
        // Arrange
        await _auth.AdminRepositoryAsync("gone", new { name = "gone" });
        await _auth.JsonAsync(HttpMethod.Post, "/api/v0/repositories/admin/gone/pollMirroringPolicies?initialEvaluation=false", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { enabled = true, remoteHost = _remote.BaseAddress.ToString(), remoteRepository = "admin/gone", username = "admin", password = AuthClient.AdminPassword },
            HttpStatusCode.Created);

        // Act: the repository deleted and made again under its name
        using var deleted = await _auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositories/admin/gone", AuthClient.AdminUser, AuthClient.AdminPassword);
        await _auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "gone" });

        // Assert: the old policy, and the credentials it kept, went with the repository
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var left = await _auth.JsonAsync(HttpMethod.Get, "/api/v0/repositories/admin/gone/mirroringPolicies", AuthClient.AdminUser, AuthClient.AdminPassword, null, HttpStatusCode.OK);
        Assert.Equal(0, left.GetArrayLength());
    }

    private async Task SetReadOnlyAsync(bool readOnly)
    {
        using var response = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/meta/settings", AuthClient.AdminUser, AuthClient.AdminPassword, new { readOnlyRegistry = readOnly });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>The contents of the first event of <paramref name="type"/> the local host publishes to its queue.</summary>
    private async Task<JsonElement> EventAsync(string type)
    {
        var queue = new QueueClient(AzuriteCheck.ConnectionString + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;", _events);
        JsonElement? found = null;
        await Poll.UntilAsync(async () =>
        {
            if (await queue.ExistsAsync())
            {
                foreach (var message in (await queue.ReceiveMessagesAsync(32)).Value)
                {
                    using var cloudEvent = JsonDocument.Parse(Convert.FromBase64String(message.MessageText));
                    if (cloudEvent.RootElement.GetProperty("type").GetString() == type)
                    {
                        found ??= cloudEvent.RootElement.GetProperty("data").GetProperty("contents").Clone();
                    }
                }
            }

            return found is not null;
        }, Deadline);
        return found ?? throw new Xunit.Sdk.XunitException($"no {type} event was published");
    }

    private Task<HttpResponseMessage> PostAsync(string path, object body) => _auth.ApiAsync(HttpMethod.Post, path, AuthClient.AdminUser, AuthClient.AdminPassword, body);

    private static async Task<IReadOnlyList<string>?> RemoteTagsAsync(OciTestClient client, string repository)
    {
        using var response = await client.Http.GetAsync($"/v2/{repository}/tags/list");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return null;
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToList();
    }

    private static async Task<string?> DigestOrNullAsync(OciTestClient client, string repository, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/{tag}");
        request.Headers.TryAddWithoutValidation("Accept", Registry.Oci.MediaTypes.ManifestAccept);
        using var response = await client.Http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK && response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
    }
}
