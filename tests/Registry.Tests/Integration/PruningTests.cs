using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Pruning policies through /api/v0 on a host with authentication on whose pruning timer fires once a year (so
/// only requests prune): the dry run, initialEvaluation, AND within and OR across policies, immutable tags kept,
/// permissions. The timer gets a host of its own that prunes every second.
/// </summary>
public sealed class PruningTests : IAsyncLifetime
{
    private RegistryHost _host = null!;
    private AuthClient _auth = null!;

    public async Task InitializeAsync()
    {
        _host = await StartHostAsync("0 0 0 1 1 *");
        _auth = new AuthClient(_host.Client);
    }

    private static Task<RegistryHost> StartHostAsync(string pruningSchedule) =>
        RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings) { ["Registry__Pruning__Schedule"] = pruningSchedule });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task CreatePolicy_WithInitialEvaluation_PrunesMatchingTagsOnlyAndKeepsImmutable()
    {
        // Arrange: tags dev-1, dev-2, pr-7, keep-dev (immutable by pattern), v1
        var oci = await _auth.AdminRepositoryAsync("pruned", new { name = "pruned", immutableTagPatterns = new[] { "keep-*" } });
        var image = await oci.PushImageAsync("admin/pruned", "v1");
        foreach (var tag in new[] { "dev-1", "dev-2", "pr-7", "keep-dev" })
        {
            using var put = await oci.PutManifestAsync("admin/pruned", tag, image.Manifest);
        }

        var devOld = new { enabled = true, rules = new object[] { new { field = "tag", @operator = "c", values = new[] { "dev" } }, new { field = "updated_at_duration", @operator = "af", values = new[] { "1h" } } } };
        var pr = new { enabled = true, rules = new object[] { new { field = "tag", @operator = "sw", values = new[] { "pr-" } } } };

        // Act: the dry run first, then two policies (AND inside, OR across)
        using var dryRun = await Api(HttpMethod.Post, "/api/v0/repositories/admin/pruned/pruningPolicies/test", devOld);
        var before = await TagsAsync(oci, "admin/pruned");
        using var first = await Api(HttpMethod.Post, "/api/v0/repositories/admin/pruned/pruningPolicies?initialEvaluation=false", pr);
        var afterNoEvaluation = await TagsAsync(oci, "admin/pruned");
        using var second = await Api(HttpMethod.Post, "/api/v0/repositories/admin/pruned/pruningPolicies", devOld);
        var after = await TagsAsync(oci, "admin/pruned");

        // Assert
        Assert.Equal(new[] { "dev-1", "dev-2" }, JsonDocument.Parse(await dryRun.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(t => t.GetProperty("name").GetString()).Order());
        Assert.Equal(new[] { "dev-1", "dev-2", "keep-dev", "pr-7", "v1" }, before);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Contains("pr-7", afterNoEvaluation);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(new[] { "keep-dev", "v1" }, after);
        using var body = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal("admin/pruned", body.RootElement.GetProperty("repository").GetString());
        Assert.NotEqual(JsonValueKind.Null, body.RootElement.GetProperty("lastPrunedAt").ValueKind);
    }

    [Fact]
    public async Task Timer_PrunesWithoutARequest()
    {
        // Arrange: a host pruning every second, and a policy saved without initial evaluation
        await using var host = await StartHostAsync("* * * * * *");
        var auth = new AuthClient(host.Client);
        var oci = await auth.AdminRepositoryAsync("timed", new { name = "timed" });
        var image = await oci.PushImageAsync("admin/timed", "keep");
        using (var put = await oci.PutManifestAsync("admin/timed", "nightly-1", image.Manifest))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using var policy = await auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/admin/timed/pruningPolicies?initialEvaluation=false", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { enabled = true, rules = new object[] { new { field = "tag", @operator = "sw", values = new[] { "nightly-" } } } });

        // Act: wait for the timer
        var deadline = DateTime.UtcNow.AddSeconds(15);
        string[] tags;
        do
        {
            await Task.Delay(500);
            tags = await TagsAsync(oci, "admin/timed");
        }
        while (tags.Contains("nightly-1") && DateTime.UtcNow < deadline);

        // Assert
        Assert.Equal(HttpStatusCode.Created, policy.StatusCode);
        Assert.Equal(new[] { "keep" }, tags);
    }

    [Fact]
    public async Task Policies_CrudAndValidation_AnswerDtrShapes()
    {
        // Arrange
        await _auth.AdminRepositoryAsync("crud", new { name = "crud" });
        var rule = new { enabled = false, rules = new object[] { new { field = "tag", @operator = "eq", values = new[] { "x" } } } };

        // Act
        using var created = await Api(HttpMethod.Post, "/api/v0/repositories/admin/crud/pruningPolicies", rule);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var list = await Api(HttpMethod.Get, "/api/v0/repositories/admin/crud/pruningPolicies", null);
        using var get = await Api(HttpMethod.Get, $"/api/v0/repositories/admin/crud/pruningPolicies/{id}", null);
        using var badField = await Api(HttpMethod.Post, "/api/v0/repositories/admin/crud/pruningPolicies",
            new { rules = new object[] { new { field = "vulnerability_critical", @operator = "gte", values = new[] { "many" } } } });
        using var badOperator = await Api(HttpMethod.Post, "/api/v0/repositories/admin/crud/pruningPolicies",
            new { rules = new object[] { new { field = "tag", @operator = "gt", values = new[] { "1" } } } });
        using var noRules = await Api(HttpMethod.Post, "/api/v0/repositories/admin/crud/pruningPolicies", new { enabled = true });
        using var tooLong = await Api(HttpMethod.Post, "/api/v0/repositories/admin/crud/pruningPolicies/test",
            new { rules = new object[] { new { field = "updated_at_duration", @operator = "bf", values = new[] { "99999999999999h" } } } });
        using var badFlag = await Api(HttpMethod.Post, "/api/v0/repositories/admin/crud/pruningPolicies?initialEvaluation=maybe", rule);
        using var delete = await Api(HttpMethod.Delete, $"/api/v0/repositories/admin/crud/pruningPolicies/{id}", null);
        using var gone = await Api(HttpMethod.Get, $"/api/v0/repositories/admin/crud/pruningPolicies/{id}", null);

        // Assert
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Single(JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
        Assert.False(JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("enabled").GetBoolean());
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(badField));
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(badOperator));
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(noRules));
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(tooLong));
        Assert.Equal("INVALID_PARAMETER", await AuthClient.ErrorCodeAsync(badFlag));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal("NO_SUCH_PRUNING_POLICY", await AuthClient.ErrorCodeAsync(gone));
    }

    [Fact]
    public async Task CreatePolicy_WithoutRepositoryAdmin_IsRefused()
    {
        // Arrange: a public repository and a user with no grant on it
        await _auth.AdminRepositoryAsync("shared", new { name = "shared", visibility = "public" });
        await _auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "pat", password = "password-of-pat" });

        // Act
        using var create = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/admin/shared/pruningPolicies", "pat", "password-of-pat",
            new { rules = new object[] { new { field = "tag", @operator = "eq", values = new[] { "x" } } } });
        using var read = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/repositories/admin/shared/pruningPolicies", "pat", "password-of-pat");

        // Assert: reading needs only visibility; writing needs admin
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    private Task<HttpResponseMessage> Api(HttpMethod method, string path, object? body) =>
        _auth.ApiAsync(method, path, AuthClient.AdminUser, AuthClient.AdminPassword, body);

    private static async Task<string[]> TagsAsync(OciTestClient oci, string repo) =>
        JsonDocument.Parse(await oci.Http.GetStringAsync($"/v2/{repo}/tags/list")).RootElement.GetProperty("tags")
            .EnumerateArray().Select(t => t.GetString()!).Order(StringComparer.Ordinal).ToArray();
}
