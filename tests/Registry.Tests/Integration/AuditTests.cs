using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// The audit log through the real host: changes recorded with who, what, where and how they were answered (a push's
/// manifest, a tag deleted, a policy made, an account made), refused logins with the name they tried (token endpoint
/// and the API), reads and blob uploads left out; a repository's activity for its admins only, gone with the
/// repository; the count retention; who may read the registry's log.
/// </summary>
public sealed class AuditTests
{
    private const string Password = "auditor-password-1";

    [Fact]
    public async Task Audit_ChangesAndRefusedLogins_RecordedWithWhoAndWhere()
    {
        // Arrange
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings));
        var auth = new AuthClient(host.Client);
        await auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "ana", password = Password });
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "audited", visibility = "private" });
        var oci = await auth.AdminClientAsync("repository:admin/audited:pull,push");

        // Act
        var image = await oci.PushImageAsync("admin/audited", "v1");
        using (await oci.Http.GetAsync("/v2/admin/audited/manifests/v1"))
        using (await auth.ApiAsync(HttpMethod.Get, "/auth/token?service=registry", "ana", "wrong-password"))
        using (await auth.ApiAsync(HttpMethod.Get, "/api/v0/repositories", "ana", "wrong-password"))
        {
        }

        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin/audited/pruningPolicies",
            new { enabled = true, rules = new[] { new { field = "tag", @operator = "eq", values = new[] { "old" } } } });
        await auth.AdminAsync(HttpMethod.Delete, "/api/v0/repositories/admin/audited/tags/v1");
        var log = await EntriesAsync(auth, "/api/v0/audit", 7);
        var activity = await EntriesAsync(auth, "/api/v0/repositories/admin/audited/activity", 3);
        using var foreign = await auth.ApiAsync(HttpMethod.Get, "/api/v0/repositories/admin/audited/activity", "ana", Password);
        using var user = await auth.ApiAsync(HttpMethod.Get, "/api/v0/audit", "ana", Password);

        // Assert: the changes and the refused logins, newest first, nothing read and no blob upload
        Assert.Equal(
            ["api DeleteTag", "api CreatePruningPolicy", "api ListRepositories", "token token", "v2 Manifest", "api CreateRepository", "enzi CreateAccount"],
            log.Select(e => e.GetProperty("action").GetString()));
        var push = log.Single(e => e.GetProperty("action").GetString() == "v2 Manifest");
        Assert.Equal((AuthClient.AdminUser, "PUT", "/v2/admin/audited/manifests/v1", "admin/audited", 201, "127.0.0.1"),
            (push.GetProperty("actor").GetString(), push.GetProperty("method").GetString(), push.GetProperty("path").GetString(),
             push.GetProperty("repository").GetString(), push.GetProperty("status").GetInt32(), push.GetProperty("clientIp").GetString()));
        Assert.All(log.Where(e => e.GetProperty("status").GetInt32() == 401), e => Assert.Equal("ana", e.GetProperty("actor").GetString()));
        Assert.DoesNotContain(log, e => e.GetProperty("method").GetString() == "GET" && e.GetProperty("status").GetInt32() < 400);
        Assert.DoesNotContain(image.Digest, string.Join(" ", log.Select(e => e.GetProperty("path").GetString())));
        Assert.Equal(["api DeleteTag", "api CreatePruningPolicy", "v2 Manifest"], activity.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
    }

    [Fact]
    public async Task Activity_RepositoryDeletedAndMadeAgain_StartsEmpty()
    {
        // Arrange
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings));
        var auth = new AuthClient(host.Client);
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "reborn", visibility = "private" });
        var oci = await auth.AdminClientAsync("repository:admin/reborn:pull,push");
        await oci.PushImageAsync("admin/reborn", "v1");
        await EntriesAsync(auth, "/api/v0/repositories/admin/reborn/activity", 1);

        // Act
        await auth.AdminAsync(HttpMethod.Delete, "/api/v0/repositories/admin/reborn");
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "reborn", visibility = "private" });
        var log = await EntriesAsync(auth, "/api/v0/audit", 4);

        // Assert: the registry's log keeps all; the new repository's activity is its own
        Assert.Equal(["api CreateRepository", "api DeleteRepository", "v2 Manifest", "api CreateRepository"],
            log.Take(4).Select(e => e.GetProperty("action").GetString()));
        Assert.Empty(await EntriesAsync(auth, "/api/v0/repositories/admin/reborn/activity", 0));
    }

    [Fact]
    public async Task Audit_MoreThanMaxEntries_OldestDropped()
    {
        // Arrange: a log of three entries at most
        var settings = new Dictionary<string, string>(AuthClient.Settings) { ["Registry__Audit__MaxEntries"] = "3" };
        await using var host = await RegistryHost.StartAsync(settings: settings);
        var auth = new AuthClient(host.Client);

        // Act: six changes
        for (var i = 0; i < 6; i++)
        {
            await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = $"kept{i}", visibility = "private" });
        }

        // Assert: the newest three stay
        List<JsonElement> log = [];
        Assert.True(await Poll.UntilAsync(async () =>
        {
            log = await EntriesAsync(auth, "/api/v0/audit", 0);
            return log.Count == 3 && log[0].GetProperty("path").GetString() == "/api/v0/repositories/admin";
        }, TimeSpan.FromSeconds(30)), $"{log.Count} entries");
    }

    /// <summary>A log once it holds at least <paramref name="count"/> entries.</summary>
    private static async Task<List<JsonElement>> EntriesAsync(AuthClient auth, string path, int count)
    {
        List<JsonElement> entries = [];
        Assert.True(await Poll.UntilAsync(async () =>
        {
            using var response = await auth.ApiAsync(HttpMethod.Get, path, AuthClient.AdminUser, AuthClient.AdminPassword);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            entries = JsonDocument.Parse(text).RootElement.GetProperty("entries").EnumerateArray().Select(e => e.Clone()).ToList();
            return entries.Count >= count;
        }, TimeSpan.FromSeconds(30)), $"{path}: {entries.Count} of {count} entries");
        return entries;
    }
}
