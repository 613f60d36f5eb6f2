using System.Net.Http.Json;
using System.Net;
using System.Text;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// The accounts API (/enzi/v0), personal access tokens and the repository API (/api/v0) on a host with
/// authentication on: shapes, validation, paging, DTR error codes, and repositories created by a push.
/// </summary>
public sealed class AccountAndRepositoryApiTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private const string Password = "a-long-enough-password";
    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task CreateAccount_AsAdmin_ReturnsDtrShapeAndRefusesDuplicates()
    {
        // Act
        using var created = await Auth.ApiAsync(HttpMethod.Post, "/enzi/v0/accounts", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { name = "carol", password = Password, fullName = "Carol" });
        using var duplicate = await Auth.ApiAsync(HttpMethod.Post, "/enzi/v0/accounts", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { name = "carol", password = Password });
        using var byUser = await Auth.ApiAsync(HttpMethod.Post, "/enzi/v0/accounts", "carol", Password, new { name = "mallory", password = Password });
        using var get = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/carol", "carol", Password);

        // Assert
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        Assert.Equal("carol", body.RootElement.GetProperty("name").GetString());
        Assert.False(body.RootElement.GetProperty("isOrg").GetBoolean());
        Assert.False(body.RootElement.TryGetProperty("password", out _));
        Assert.Equal("ACCOUNT_EXISTS", await AuthClient.ErrorCodeAsync(duplicate));
        Assert.Equal(HttpStatusCode.Forbidden, byUser.StatusCode);
        Assert.Equal("NOT_AUTHORIZED", await AuthClient.ErrorCodeAsync(byUser));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Theory]
    [InlineData("{\"name\":\"Upper\",\"password\":\"a-long-enough-password\"}", "INVALID_FORM_FIELD")]
    [InlineData("{\"name\":\"x\",\"password\":\"a-long-enough-password\"}", "INVALID_FORM_FIELD")]
    [InlineData("{\"name\":\"has/slash\",\"password\":\"a-long-enough-password\"}", "INVALID_FORM_FIELD")]
    [InlineData("{\"name\":\"shortpass\",\"password\":\"short\"}", "INVALID_FORM_FIELD")]
    [InlineData("{\"name\":\"nopass\"}", "INVALID_FORM_FIELD")]
    [InlineData("{not json", "INVALID_JSON")]
    [InlineData("[]", "INVALID_JSON")]
    public async Task CreateAccount_BadInput_Returns400WithDtrCode(string json, string code)
    {
        // Act
        using var request = new HttpRequestMessage(HttpMethod.Post, "/enzi/v0/accounts") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword);
        using var response = await Auth.Http.SendAsync(request);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, await AuthClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task AccessToken_UsableAsPasswordUntilRevoked()
    {
        // Arrange
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "dave", password = Password });
        using var created = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/api_tokens", "dave", Password, new { tokenLabel = "ci" });
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var token = body.RootElement.GetProperty("token").GetString()!;
        var hashed = body.RootElement.GetProperty("hashedToken").GetString()!;

        // Act
        var registryToken = await Auth.GetTokenAsync("dave", token, "repository:dave/app:pull,push");
        using var apiUse = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/dave", "dave", token);
        using var list = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/api_tokens", "dave", Password);
        var listed = await list.Content.ReadAsStringAsync();
        using var revoke = await Auth.ApiAsync(HttpMethod.Delete, $"/api/v0/api_tokens/{hashed}", "dave", Password);
        using var afterRevoke = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/dave", "dave", token);

        // Assert: shown once (200, as DTR answers), stored hashed, revocable
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.StartsWith("srat_", token, StringComparison.Ordinal);
        Assert.NotEmpty(registryToken);
        Assert.Equal(HttpStatusCode.OK, apiUse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.DoesNotContain(token, listed, StringComparison.Ordinal);
        Assert.Contains(hashed, listed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
    }

    [Fact]
    public async Task ApiTokens_CreateListReadAndCleanUp_DtrModels()
    {
        // Arrange: three tokens made by a CI agent; one of them used since
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "gwen", password = Password });
        var made = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v0/api_tokens") { Content = JsonContent.Create(new { tokenLabel = $"ci-{i}" }) };
            request.Headers.Authorization = AuthClient.Basic("gwen", Password);
            request.Headers.UserAgent.ParseAdd("ci-agent/1.0");
            using var response = await Auth.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            made.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }

        using (await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/gwen", "gwen", made[0].GetProperty("token").GetString()))
        {
        }

        // Act
        using var first = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/api_tokens?pageSize=2", "gwen", Password);
        var next = first.Headers.GetValues("X-Next-Page-Start").Single();
        using var second = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/api_tokens?pageSize=2&pageStart={next}", "gwen", Password);
        using var one = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/api_tokens/{made[0].GetProperty("hashedToken").GetString()}", "gwen", Password);
        using var unknown = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/api_tokens/{new string('0', 64)}", "gwen", Password);
        using var byAdmin = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/api_tokens?username=gwen", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var othersTokens = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/api_tokens?username=admin", "gwen", Password);
        using var badKind = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/api_tokens?generatedby=robot", "gwen", Password);
        using var badDate = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/api_tokens?generatedby=manual&usedbefore=yesterday", "gwen", Password);
        using var auto = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/api_tokens", "gwen", Password);
        using var unused = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/api_tokens?generatedby=manual&usedbefore=2020-01-01", "gwen", Password);
        using var left = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/api_tokens", "gwen", Password);

        // Assert: DTR's models; lastUsed is Go's zero time until a token is used; the clean-up takes the unused ones
        Assert.All(made, t => DtrContract.AssertMatches(t, "NewAPIToken"));
        var listed = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Concat(JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement.EnumerateArray()).ToList();
        Assert.All(listed, t => DtrContract.AssertMatches(t, "APIToken"));
        Assert.Equal(made.Select(t => t.GetProperty("hashedToken").GetString()).Order(StringComparer.Ordinal), listed.Select(t => t.GetProperty("hashedToken").GetString()));
        Assert.All(listed, t => Assert.Equal(("manual", "ci-agent/1.0"), (t.GetProperty("generatedBy").GetString(), t.GetProperty("creatorUa").GetString())));
        var used = JsonDocument.Parse(await one.Content.ReadAsStringAsync()).RootElement;
        DtrContract.AssertMatches(used, "APIToken");
        Assert.NotEqual("0001-01-01T00:00:00Z", used.GetProperty("lastUsed").GetString());
        Assert.Equal(2, listed.Count(t => t.GetProperty("lastUsed").GetString() == "0001-01-01T00:00:00Z"));
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_API_TOKEN"), (unknown.StatusCode, await AuthClient.ErrorCodeAsync(unknown)));
        Assert.Equal(3, JsonDocument.Parse(await byAdmin.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
        Assert.Equal(HttpStatusCode.Forbidden, othersTokens.StatusCode);
        Assert.Equal(("INVALID_PARAMETER", "INVALID_PARAMETER"), (await AuthClient.ErrorCodeAsync(badKind), await AuthClient.ErrorCodeAsync(badDate)));
        Assert.Equal(0, JsonDocument.Parse(await auto.Content.ReadAsStringAsync()).RootElement.GetProperty("deleted").GetInt32());
        Assert.Equal(2, JsonDocument.Parse(await unused.Content.ReadAsStringAsync()).RootElement.GetProperty("deleted").GetInt32());
        Assert.Equal([made[0].GetProperty("hashedToken").GetString()],
            JsonDocument.Parse(await left.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(t => t.GetProperty("hashedToken").GetString()));
    }

    [Fact]
    public async Task DeleteNamespaceRepositories_AdminOutsiderAndUnknown_AllGoneOrRefused()
    {
        // Arrange: an organization with two repositories, one holding a tagged image; a user outside it
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "wipeorg", isOrg = true });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "wipeoutsider", password = Password });
        var oci = await Auth.AdminClientAsync("repository:wipeorg/app:pull,push");
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/wipeorg", new { name = "app", visibility = "public" });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/wipeorg", new { name = "lib" });
        await oci.PushImageAsync("wipeorg/app", "v1");

        // Act
        using var outsider = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/accounts/wipeorg/repositories", "wipeoutsider", Password);
        using var unknown = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/accounts/nosuchorg/repositories", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var admin = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/accounts/wipeorg/repositories", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var listed = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/repositories/wipeorg", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var pull = await oci.Http.GetAsync("/v2/wipeorg/app/manifests/v1");

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_ACCOUNT"), (unknown.StatusCode, await AuthClient.ErrorCodeAsync(unknown)));
        Assert.Equal(HttpStatusCode.NoContent, admin.StatusCode);
        Assert.Equal(0, JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement.GetProperty("repositories").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, pull.StatusCode);
    }

    [Fact]
    public async Task AccessToken_Expired_IsRefused()
    {
        // Arrange: a token that expires in five seconds
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "erin", password = Password });
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(5);
        using var created = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/api_tokens", "erin", Password, new { tokenLabel = "short", expiresAt });
        var token = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        using var before = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/erin", "erin", token);

        // Act: the token is used until it is refused
        DateTimeOffset refusedAt = default;
        var refused = await Poll.UntilAsync(async () =>
        {
            using var use = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/erin", "erin", token);
            refusedAt = DateTimeOffset.UtcNow;
            return use.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(30));
        using var past = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/api_tokens", "erin", Password, new { expiresAt = DateTimeOffset.UtcNow.AddDays(-1) });

        // Assert: accepted before its time, refused from then on (the host shares this machine's clock)
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.True(refused, "the expired token was still accepted 30 s later");
        Assert.True(refusedAt >= expiresAt, $"refused at {refusedAt:O}, before it expired at {expiresAt:O}");
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
    }

    [Fact]
    public async Task DisabledUser_CannotLogIn()
    {
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "fiona", password = Password });
        await Auth.AdminAsync(HttpMethod.Patch, "/enzi/v0/accounts/fiona", new { isActive = false });
        using var response = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/fiona", "fiona", Password);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("Upper")]
    [InlineData("has.dot")]
    [InlineData("-dash")]
    [InlineData("dash-")]
    public async Task CreateRepository_NameAgainstDtrRule_Returns400(string name)
    {
        await EnsureUserAsync("gina");
        using var response = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/gina", "gina", Password, new { name });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("INVALID_REPOSITORY_NAME", await AuthClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Repositories_CreateGetPatchPageDelete_InOwnNamespace()
    {
        // Arrange
        await EnsureUserAsync("hank");
        foreach (var name in new[] { "app-a", "app-b", "app_c" })
        {
            using var create = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/hank", "hank", Password,
                new { name, visibility = "public", shortDescription = "demo", immutableTags = true, scanOnPush = true });
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        }

        // Act
        using var duplicate = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/hank", "hank", Password, new { name = "app-a" });
        using var elsewhere = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/gina", "hank", Password, new { name = "nope" });
        using var badVisibility = await Auth.ApiAsync(HttpMethod.Patch, "/api/v0/repositories/hank/app-a", "hank", Password, new { visibility = "secret" });
        using var limitOnImmutable = await Auth.ApiAsync(HttpMethod.Patch, "/api/v0/repositories/hank/app-a", "hank", Password, new { tagLimit = 5 });
        using var patched = await Auth.ApiAsync(HttpMethod.Patch, "/api/v0/repositories/hank/app-a", "hank", Password, new { visibility = "private", tagLimit = 0 });
        using var page1 = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/repositories/hank?pageSize=2", "hank", Password);
        var next = page1.Headers.GetValues("X-Next-Page-Start").Single();
        using var page2 = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/hank?pageSize=2&pageStart={Uri.EscapeDataString(next)}", "hank", Password);
        using var anonymousList = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/repositories/hank", null, null);
        using var delete = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositories/hank/app-b", "hank", Password);
        using var deleteAgain = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositories/hank/app-b", "hank", Password);
        using var gone = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/repositories/hank/app-b", "hank", Password);

        // Assert
        Assert.Equal("REPOSITORY_EXISTS", await AuthClient.ErrorCodeAsync(duplicate));
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        Assert.Equal("INVALID_REPOSITORY_VISIBILITY", await AuthClient.ErrorCodeAsync(badVisibility));
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(limitOnImmutable));
        using var patchedBody = JsonDocument.Parse(await patched.Content.ReadAsStringAsync());
        Assert.Equal("private", patchedBody.RootElement.GetProperty("visibility").GetString());
        Assert.True(patchedBody.RootElement.GetProperty("immutableTags").GetBoolean());
        Assert.Equal("demo", patchedBody.RootElement.GetProperty("shortDescription").GetString());
        Assert.Equal(new[] { "app-a", "app-b" }, Names(await page1.Content.ReadAsStringAsync()));
        Assert.Equal(new[] { "app_c" }, Names(await page2.Content.ReadAsStringAsync()));
        Assert.False(page2.Headers.Contains("X-Next-Page-Start"));
        Assert.Equal(new[] { "app-b", "app_c" }, Names(await anonymousList.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleteAgain.StatusCode);
        Assert.Equal("NO_SUCH_REPOSITORY", await AuthClient.ErrorCodeAsync(gone));
    }

    [Fact]
    public async Task Push_ToMissingRepository_CreatesItOnlyWhereThePusherMayWrite()
    {
        // Arrange: ivy owns her namespace; the organization "labs" grants the team "builders" read-write on its namespace
        await EnsureUserAsync("ivy");
        await EnsureUserAsync("jack");
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "labs", isOrg = true });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts/labs/teams", new { name = "builders" });
        await Auth.AdminAsync(HttpMethod.Put, "/enzi/v0/accounts/labs/teams/builders/members/ivy", new { isAdmin = false });
        await Auth.AdminAsync(HttpMethod.Put, "/api/v0/repositoryNamespaces/labs/teamAccess/builders", new { accessLevel = "read-write" });

        // Act
        var own = await PushBlobAsync("ivy", "ivy/new-app");
        var org = await PushBlobAsync("ivy", "labs/tool");
        var foreign = await PushBlobAsync("jack", "ivy/intrusion");
        var orgOutsider = await PushBlobAsync("jack", "labs/intrusion");
        using var created = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/repositories/ivy/new-app", "ivy", Password);

        // Assert
        Assert.Equal(HttpStatusCode.Created, own);
        Assert.Equal(HttpStatusCode.Created, org);
        Assert.Equal(HttpStatusCode.Forbidden, foreign);
        Assert.Equal(HttpStatusCode.Forbidden, orgOutsider);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("private", JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("visibility").GetString());
    }

    [Fact]
    public async Task CreateAccount_BodyOver64KiB_Returns400InvalidJson()
    {
        using var response = await Auth.ApiAsync(HttpMethod.Post, "/enzi/v0/accounts", AuthClient.AdminUser, AuthClient.AdminPassword,
            new { name = "huge", password = new string('p', 70_000) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("INVALID_JSON", await AuthClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task DeleteRepository_ThenRecreate_LeavesNoTagsOrReferrers()
    {
        // Arrange: kate pushes an image and an artifact that refers to it
        await EnsureUserAsync("kate");
        var token = await Auth.GetTokenAsync("kate", Password, "repository:kate/app:pull,push,delete");
        var config = Encoding.UTF8.GetBytes("{}");
        using (var push = await Auth.SendAsync(HttpMethod.Post, $"/v2/kate/app/blobs/uploads/?digest={OciTestClient.DigestOf(config)}", token, new ByteArrayContent(config)))
        {
            Assert.Equal(HttpStatusCode.Created, push.StatusCode);
        }

        var image = OciTestClient.ImageManifestJson(OciTestClient.DigestOf(config), 2, OciTestClient.DigestOf(config), 2);
        var imageDigest = OciTestClient.DigestOf(Encoding.UTF8.GetBytes(image));
        var artifact = OciTestClient.ImageManifestJson(OciTestClient.DigestOf(config), 2, OciTestClient.DigestOf(config), 2,
            $"{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{imageDigest}\",\"size\":{image.Length}}}", "application/vnd.example.sig");
        using (var put = await Auth.SendAsync(HttpMethod.Put, "/v2/kate/app/manifests/v1", token, PermissionFixture.ManifestContent(image)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var put = await Auth.SendAsync(HttpMethod.Put, $"/v2/kate/app/manifests/{OciTestClient.DigestOf(Encoding.UTF8.GetBytes(artifact))}", token, PermissionFixture.ManifestContent(artifact)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Act
        using var delete = await Auth.ApiAsync(HttpMethod.Delete, "/api/v0/repositories/kate/app", "kate", Password);
        using var recreate = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/kate", "kate", Password, new { name = "app" });
        token = await Auth.GetTokenAsync("kate", Password, "repository:kate/app:pull");
        using var tags = await Auth.SendAsync(HttpMethod.Get, "/v2/kate/app/tags/list", token);
        using var referrers = await Auth.SendAsync(HttpMethod.Get, $"/v2/kate/app/referrers/{imageDigest}", token);

        // Assert
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Created, recreate.StatusCode);
        Assert.Equal("{\"name\":\"kate/app\",\"tags\":[]}", await tags.Content.ReadAsStringAsync());
        Assert.Empty(JsonDocument.Parse(await referrers.Content.ReadAsStringAsync()).RootElement.GetProperty("manifests").EnumerateArray());
    }

    [Fact]
    public async Task ApiRoutes_UnknownOrWrongMethod_AnswerDtrErrors()
    {
        using var unknown = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/nothing", null, null);
        using var method = await Auth.ApiAsync(HttpMethod.Put, "/api/v0/repositories", null, null);
        Assert.Equal("NOT_FOUND", await AuthClient.ErrorCodeAsync(unknown));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, method.StatusCode);
    }

    private async Task<HttpStatusCode> PushBlobAsync(string user, string repo)
    {
        var token = await Auth.GetTokenAsync(user, Password, $"repository:{repo}:pull,push");
        var blob = Encoding.UTF8.GetBytes($"blob of {repo} by {user}");
        using var response = await Auth.SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?digest={OciTestClient.DigestOf(blob)}", token, new ByteArrayContent(blob));
        return response.StatusCode;
    }

    private async Task EnsureUserAsync(string name)
    {
        using var response = await Auth.ApiAsync(HttpMethod.Post, "/enzi/v0/accounts", AuthClient.AdminUser, AuthClient.AdminPassword, new { name, password = Password });
        Assert.True(response.StatusCode is HttpStatusCode.Created || await AuthClient.ErrorCodeAsync(response) == "ACCOUNT_EXISTS");
    }

    private static string[] Names(string json) =>
        JsonDocument.Parse(json).RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray();

    [Fact]
    public async Task DeleteRepository_ThenCreateTheNameAgain_StartsWithoutPoliciesOrGrants()
    {
        // Arrange: a repository with a pruning policy, a promotion policy and a team grant
        var repo = "reborn" + Guid.NewGuid().ToString("N")[..8];
        var target = "target" + Guid.NewGuid().ToString("N")[..8];
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = repo });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = target });
        var rules = new[] { new { field = "tag", @operator = "sw", values = new[] { "dev-" } } };
        await Auth.AdminAsync(HttpMethod.Post, $"/api/v0/repositories/admin/{repo}/pruningPolicies?initialEvaluation=false", new { enabled = true, rules });
        await Auth.AdminAsync(HttpMethod.Post, $"/api/v0/repositories/admin/{repo}/promotionPolicies?initialEvaluation=false",
            new { enabled = true, rules, targetRepository = $"admin/{target}", tagTemplate = "%n" });

        // Act: delete it, and make the name again
        await Auth.AdminAsync(HttpMethod.Delete, $"/api/v0/repositories/admin/{repo}");
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = repo });
        using var pruning = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/admin/{repo}/pruningPolicies", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var promotion = await Auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/admin/{repo}/promotionPolicies", AuthClient.AdminUser, AuthClient.AdminPassword);

        // Assert
        Assert.Equal("[]", (await pruning.Content.ReadAsStringAsync()).Trim());
        Assert.Equal("[]", (await promotion.Content.ReadAsStringAsync()).Trim());
    }
}
