using System.Net;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// DTR's autocomplete and docker search (also at /v1/search, where <c>docker search</c> asks) over repositories of
/// every visibility: what each caller may read, and nothing else.
/// </summary>
public sealed class SearchApiTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>, IAsyncLifetime
{
    private const string Password = "searcher-password-1";

    private AuthClient Auth => fixture.Auth;

    public async Task InitializeAsync()
    {
        using var exists = await Auth.ApiAsync(HttpMethod.Get, "/enzi/v0/accounts/searcher", AuthClient.AdminUser, AuthClient.AdminPassword);
        if (exists.StatusCode == HttpStatusCode.OK)
        {
            return;
        }

        // an organization with a public and a private repository; the searcher's own private one; another user's private one
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "searcher", password = Password });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "keeper", password = "keeper-password-1" });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "searchorg", isOrg = true });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/searchorg", new { name = "alpha-web", visibility = "public", shortDescription = "the web front" });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/searchorg", new { name = "alpha-secret", visibility = "private" });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/searcher", new { name = "alpha-mine", visibility = "private" });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/keeper", new { name = "alpha-hidden", visibility = "private" });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/keeper", new { name = "web-alpha", visibility = "public" });

        // an organization the searcher belongs to, whose team of the searcher may read one of its two private repositories
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "grantorg", isOrg = true });
        await Auth.AdminAsync(HttpMethod.Put, "/enzi/v0/accounts/grantorg/members/searcher", new { isAdmin = false });
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts/grantorg/teams", new { name = "readers" });
        await Auth.AdminAsync(HttpMethod.Put, "/enzi/v0/accounts/grantorg/teams/readers/members/searcher", new { isAdmin = false });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/grantorg", new { name = "alpha-granted", visibility = "private" });
        await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/grantorg", new { name = "alpha-closed", visibility = "private" });
        await Auth.AdminAsync(HttpMethod.Put, "/api/v0/repositories/grantorg/alpha-granted/teamAccess/readers", new { accessLevel = "read-only" });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Autocomplete_UserAndAdministrator_OnlyWhatEachMayReadPrefixMatchesFirst()
    {
        // Arrange: the administrator sees all seven once the snapshot holds them
        IReadOnlyList<string?> all = [];
        Assert.True(await Poll.UntilAsync(async () =>
        {
            all = Names(await GetAsync("/api/v0/index/autocomplete?query=alpha&includeAccounts=false", AuthClient.AdminUser, AuthClient.AdminPassword));
            return all.Count == 7;
        }, TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(500)), string.Join(", ", all));

        // Act
        var user = await GetAsync("/api/v0/index/autocomplete?query=alpha", "searcher", Password);
        var inNamespace = await GetAsync("/api/v0/index/autocomplete?query=ALPHA&namespace=searchorg", "searcher", Password);
        var accounts = await GetAsync("/api/v0/index/autocomplete?query=search&includeRepositories=false", "searcher", Password);
        var granted = await GetAsync("/api/v0/index/autocomplete?query=alpha&namespace=grantorg&includeAccounts=false", "searcher", Password);
        var limited = await GetAsync("/api/v0/index/autocomplete?query=alpha&limit=1", AuthClient.AdminUser, AuthClient.AdminPassword);

        // Assert: names starting with the query (after the namespace) before those holding it
        Assert.Equal(["grantorg/alpha-closed", "grantorg/alpha-granted", "keeper/alpha-hidden", "searcher/alpha-mine", "searchorg/alpha-secret", "searchorg/alpha-web",
            "keeper/web-alpha"], all);
        DtrContract.AssertMatches(user, "Autocomplete");
        Assert.Equal(["grantorg/alpha-granted", "searcher/alpha-mine", "searchorg/alpha-web", "keeper/web-alpha"], Names(user));
        Assert.Equal(["searchorg/alpha-web"], Names(inNamespace));
        Assert.Equal(["searcher", "searchorg"], accounts.GetProperty("accountResults").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.Empty(accounts.GetProperty("repositoryResults").EnumerateArray());
        Assert.Equal("organization", inNamespace.GetProperty("repositoryResults")[0].GetProperty("namespaceType").GetString());
        Assert.Single(Names(limited));
        Assert.Equal(["grantorg/alpha-granted"], Names(granted));
    }

    [Theory]
    [InlineData("/api/v0/index/dockersearch")]
    [InlineData("/v1/search")]
    public async Task DockerSearch_AnonymousAndUser_PublicOnesOrAlsoTheirOwn(string path)
    {
        // Arrange
        Assert.True(await Poll.UntilAsync(async () =>
            (await GetAsync("/api/v0/index/autocomplete?query=alpha", AuthClient.AdminUser, AuthClient.AdminPassword)).GetProperty("repositoryResults").GetArrayLength() == 7,
            TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(500)));

        // Act
        var anonymous = await GetAsync($"{path}?q=alpha", null, null);
        var user = await GetAsync($"{path}?q=alpha&n=2", "searcher", Password);

        // Assert: DTR's shape; num_results counts every visible match, n bounds the results
        DtrContract.AssertMatches(anonymous, "DockerSearch");
        Assert.Equal(["searchorg/alpha-web", "keeper/web-alpha"], anonymous.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.Equal("the web front", anonymous.GetProperty("results")[0].GetProperty("description").GetString());
        Assert.Equal((2, "alpha"), (anonymous.GetProperty("num_results").GetInt32(), anonymous.GetProperty("query").GetString()));
        Assert.Equal(4, user.GetProperty("num_results").GetInt32());
        Assert.Equal(["grantorg/alpha-granted", "searcher/alpha-mine"], user.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task DockerSearch_RegistryBearerToken_TakenAtV1SearchOnly()
    {
        // Arrange: what Docker's daemon holds once signed in, a token of the registry's own
        Assert.True(await Poll.UntilAsync(async () =>
            (await GetAsync("/api/v0/index/autocomplete?query=alpha", AuthClient.AdminUser, AuthClient.AdminPassword)).GetProperty("repositoryResults").GetArrayLength() == 7,
            TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(500)));
        var token = await Auth.GetTokenAsync("searcher", Password);

        // Act
        using var v1 = await Auth.SendAsync(HttpMethod.Get, "/v1/search?q=alpha-mine", token);
        using var api = await Auth.SendAsync(HttpMethod.Get, "/api/v0/index/dockersearch?q=alpha-mine", token);
        using var forged = await Auth.SendAsync(HttpMethod.Get, "/v1/search?q=alpha-mine", token[..^4] + "AAAA");

        // Assert: the token signs the user in at /v1/search (their private repository found); the API takes Basic only
        var found = JsonDocument.Parse(await v1.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, v1.StatusCode);
        Assert.Equal(["searcher/alpha-mine"], found.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.Equal((HttpStatusCode.Unauthorized, "NOT_AUTHENTICATED"), (api.StatusCode, await AuthClient.ErrorCodeAsync(api)));
        Assert.Equal((HttpStatusCode.Unauthorized, "NOT_AUTHENTICATED"), (forged.StatusCode, await AuthClient.ErrorCodeAsync(forged)));
    }

    [Theory]
    [InlineData("/api/v0/index/autocomplete", "searcher", HttpStatusCode.BadRequest, "INVALID_PARAMETER")]
    [InlineData("/api/v0/index/autocomplete?query=a&limit=0", "searcher", HttpStatusCode.BadRequest, "INVALID_PARAMETER")]
    [InlineData("/api/v0/index/dockersearch?q=", "searcher", HttpStatusCode.BadRequest, "INVALID_PARAMETER")]
    [InlineData("/api/v0/index/autocomplete?query=alpha", null, HttpStatusCode.Unauthorized, "NOT_AUTHENTICATED")]
    public async Task Search_BadQueryOrAnonymousAutocomplete_DtrError(string path, string? user, HttpStatusCode status, string code)
    {
        // Act
        using var response = await Auth.ApiAsync(HttpMethod.Get, path, user, user is null ? null : Password);

        // Assert
        Assert.Equal((status, code), (response.StatusCode, await AuthClient.ErrorCodeAsync(response)));
    }

    private static IReadOnlyList<string?> Names(JsonElement autocomplete) =>
        autocomplete.GetProperty("repositoryResults").EnumerateArray().Select(r => $"{r.GetProperty("namespace").GetString()}/{r.GetProperty("name").GetString()}").ToList();

    private Task<JsonElement> GetAsync(string path, string? user, string? password) => Auth.JsonAsync(HttpMethod.Get, path, user, password);
}
