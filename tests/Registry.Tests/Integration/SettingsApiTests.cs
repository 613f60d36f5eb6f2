using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// DTR's /meta/settings and /meta/alerts on a host of their own (the settings are registry-wide): the settings in
/// DTR's model, changed at run time and acted on by /v2/ at once.
/// </summary>
public sealed class SettingsApiTests(AuthHostFixture fixture) : IClassFixture<AuthHostFixture>
{
    private const string Password = "settings-user-password-1";

    private AuthClient Auth => fixture.Auth;

    [Fact]
    public async Task UpdateSettings_CreateRepositoryOnPushAndReadOnly_ActedOnByPushesAtOnce()
    {
        // Arrange: the settings as read, sent back with createRepositoryOnPush off (as DTR's UI sends the whole form)
        var before = await GetSettingsAsync();
        var form = JsonNode.Parse(before.GetRawText())!.AsObject();
        form["createRepositoryOnPush"] = false;
        form["replicaID"] = "another-instance";   // the GET may have been answered by another instance than the POST
        var oci = await Auth.AdminClientAsync("repository:admin/made-first:pull,push", "repository:admin/never-made:pull,push");

        try
        {
            // Act and assert: pushes need a repository made first
            using (var off = await PostSettingsAsync(form.ToJsonString()))
            {
                Assert.Equal(HttpStatusCode.Accepted, off.StatusCode);
            }

            using (var refused = await oci.Http.PostAsync("/v2/admin/never-made/blobs/uploads/", null))
            {
                Assert.Equal((HttpStatusCode.NotFound, "NAME_UNKNOWN"), (refused.StatusCode, await OciTestClient.ErrorCodeAsync(refused)));
            }

            await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "made-first" });
            var pushed = await oci.PushImageAsync("admin/made-first", "v1");

            // read-only: writes refused, reads served, an alert says so
            using (var on = await PostSettingsAsync("{\"readOnlyRegistry\":true}"))
            {
                Assert.Equal(HttpStatusCode.Accepted, on.StatusCode);
            }

            using (var write = await oci.PutManifestAsync("admin/made-first", "v2", pushed.Manifest))
            {
                Assert.Equal((HttpStatusCode.MethodNotAllowed, "UNSUPPORTED"), (write.StatusCode, await OciTestClient.ErrorCodeAsync(write)));
            }

            using (var read = await oci.Http.GetAsync("/v2/admin/made-first/manifests/v1"))
            {
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }

            var settings = await GetSettingsAsync();
            DtrContract.AssertMatches(settings, "Settings");
            Assert.Equal((false, true), (settings.GetProperty("createRepositoryOnPush").GetBoolean(), settings.GetProperty("readOnlyRegistry").GetBoolean()));
            var alerts = await GetAlertsAsync();
            Assert.All(alerts, a => DtrContract.AssertMatches(a, "Alert"));
            Assert.Contains(alerts, a => a.GetProperty("id").GetString() == "read-only" && a.GetProperty("class").GetString() == "warning");
            Assert.Contains(alerts, a => a.GetProperty("id").GetString() == "vuln-db-missing");
        }
        finally
        {
            using var reset = await PostSettingsAsync("{\"createRepositoryOnPush\":true,\"readOnlyRegistry\":false}");
            Assert.Equal(HttpStatusCode.Accepted, reset.StatusCode);
        }

        // and back: a push creates its repository again
        await oci.PushImageAsync("admin/never-made", "v1");
        Assert.DoesNotContain(await GetAlertsAsync(), a => a.GetProperty("id").GetString() == "read-only");
        DtrContract.AssertMatches(before, "Settings");
        Assert.Equal((true, false), (before.GetProperty("createRepositoryOnPush").GetBoolean(), before.GetProperty("readOnlyRegistry").GetBoolean()));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"createRepositoryOnPush\":\"yes\"}")]
    [InlineData("{\"readOnlyRegistry\":null}")]
    [InlineData("{\"dtrHost\":\"elsewhere.example\"}")]
    [InlineData("{\"jobHistoryMaxAge\":\"1h\"}")]
    [InlineData("{\"webTLSKey\":\"-----BEGIN PRIVATE KEY-----\"}")]
    [InlineData("{\"noSuchSetting\":1}")]
    public async Task UpdateSettings_BadOrUnchangeable_InvalidSettingsAndNothingSaved(string body)
    {
        // Act
        using var response = await PostSettingsAsync(body);
        var after = await GetSettingsAsync();

        // Assert
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_SETTINGS"), (response.StatusCode, await AuthClient.ErrorCodeAsync(response)));
        Assert.Equal((true, false), (after.GetProperty("createRepositoryOnPush").GetBoolean(), after.GetProperty("readOnlyRegistry").GetBoolean()));
    }

    [Fact]
    public async Task SettingsAndAlerts_NotSystemAdmin_Refused()
    {
        // Arrange
        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "settingsuser", password = Password });

        // Act
        using var userGet = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/meta/settings", "settingsuser", Password);
        using var userPost = await Auth.ApiAsync(HttpMethod.Post, "/api/v0/meta/settings", "settingsuser", Password, new { readOnlyRegistry = true });
        using var userAlerts = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/meta/alerts", "settingsuser", Password);
        using var anonymous = await Auth.ApiAsync(HttpMethod.Get, "/api/v0/meta/settings", null, null);

        // Assert
        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized],
            new[] { userGet.StatusCode, userPost.StatusCode, userAlerts.StatusCode, anonymous.StatusCode });
        Assert.False((await GetSettingsAsync()).GetProperty("readOnlyRegistry").GetBoolean());
    }

    private async Task<JsonElement> GetSettingsAsync() => await GetJsonAsync("/api/v0/meta/settings");

    private async Task<IReadOnlyList<JsonElement>> GetAlertsAsync() => (await GetJsonAsync("/api/v0/meta/alerts")).EnumerateArray().ToList();

    private Task<JsonElement> GetJsonAsync(string path) => Auth.JsonAsync(HttpMethod.Get, path, AuthClient.AdminUser, AuthClient.AdminPassword);

    private async Task<HttpResponseMessage> PostSettingsAsync(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v0/meta/settings") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword);
        return await Auth.Http.SendAsync(request);
    }
}
