using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Registry.Oci;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// One host with authentication on, an organization "acme" with a public and a private repository, and one user
/// per role; the matrix checks every role against every operation on both repositories, by status and error code.
/// </summary>
public sealed class PermissionFixture : IAsyncLifetime
{
    public const string Password = "password-of-every-user";

    /// <summary>Role name to user (null: anonymous; the administrator has its own password).</summary>
    public static readonly IReadOnlyDictionary<string, string?> Users = new Dictionary<string, string?>
    {
        ["anonymous"] = null,
        ["unrelated"] = "ursula",
        ["read-only"] = "rita",
        ["read-write"] = "wally",
        ["admin"] = "adam",
        ["org-owner"] = "olga",
        ["system-admin"] = AuthClient.AdminUser,
    };

    public RegistryHost Host { get; private set; } = null!;

    public AuthClient Auth { get; private set; } = null!;

    public string Manifest { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Host = await RegistryHost.StartAsync(settings: AuthClient.Settings);
        Auth = new AuthClient(Host.Client);
        foreach (var user in new[] { "ursula", "rita", "wally", "adam", "olga" })
        {
            await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = user, password = Password });
        }

        await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "acme", isOrg = true });
        await Auth.AdminAsync(HttpMethod.Put, "/enzi/v0/accounts/acme/members/olga", new { isAdmin = true });
        foreach (var (team, user) in new[] { ("readers", "rita"), ("writers", "wally"), ("admins", "adam") })
        {
            await Auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts/acme/teams", new { name = team });
            await Auth.AdminAsync(HttpMethod.Put, $"/enzi/v0/accounts/acme/teams/{team}/members/{user}", new { isAdmin = false });
        }

        foreach (var visibility in new[] { "public", "private" })
        {
            var repo = Repo(visibility);
            await Auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/acme", new { name = visibility, visibility });
            foreach (var (team, level) in new[] { ("readers", "read-only"), ("writers", "read-write"), ("admins", "admin") })
            {
                await Auth.AdminAsync(HttpMethod.Put, $"/api/v0/repositories/{repo}/teamAccess/{team}", new { accessLevel = level });
            }

            var token = await Auth.GetTokenAsync(AuthClient.AdminUser, AuthClient.AdminPassword, $"repository:{repo}:pull,push");
            var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
            var layer = Encoding.UTF8.GetBytes("layer of the permission matrix");
            foreach (var blob in new[] { config, layer })
            {
                using var push = await Auth.SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?digest={OciTestClient.DigestOf(blob)}", token, new ByteArrayContent(blob));
                Assert.Equal(HttpStatusCode.Created, push.StatusCode);
            }

            Manifest = OciTestClient.ImageManifestJson(OciTestClient.DigestOf(config), config.Length, OciTestClient.DigestOf(layer), layer.Length);
            foreach (var tag in Users.Keys.Select(r => "del-" + r).Append("base"))
            {
                using var put = await Auth.SendAsync(HttpMethod.Put, $"/v2/{repo}/manifests/{tag}", token, ManifestContent(Manifest));
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }
        }
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    public static string Repo(string visibility) => $"acme/{visibility}";

    public static ByteArrayContent ManifestContent(string json)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.ImageManifest);
        return content;
    }
}

public sealed class PermissionMatrixTests(PermissionFixture fixture) : IClassFixture<PermissionFixture>
{
    /// <summary>Each role's level on the public and the private repository.</summary>
    private static readonly IReadOnlyDictionary<string, (string Public, string Private)> Levels = new Dictionary<string, (string, string)>
    {
        ["anonymous"] = ("read-only", "none"),
        ["unrelated"] = ("read-only", "none"),
        ["read-only"] = ("read-only", "read-only"),
        ["read-write"] = ("read-write", "read-write"),
        ["admin"] = ("admin", "admin"),
        ["org-owner"] = ("admin", "admin"),
        ["system-admin"] = ("admin", "admin"),
    };

    private static readonly string[] Order = ["none", "read-only", "read-write", "admin"];

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var role in PermissionFixture.Users.Keys)
        {
            foreach (var operation in new[] { "pull", "push", "delete", "catalog", "list-tags", "repository-settings", "team-access", "trust-policy", "signing-policy", "notary-read", "notary-publish", "notary-key", "notary-delete" })
            {
                foreach (var visibility in new[] { "public", "private" })
                {
                    data.Add(role, operation, visibility);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Operation_ByRoleAndVisibility_AnswersAsThePermissionModelSays(string role, string operation, string visibility)
    {
        // Arrange
        var user = PermissionFixture.Users[role];
        var password = user == AuthClient.AdminUser ? AuthClient.AdminPassword : PermissionFixture.Password;
        var level = visibility == "public" ? Levels[role].Public : Levels[role].Private;
        var repo = PermissionFixture.Repo(visibility);
        var auth = fixture.Auth;

        // Act
        using var response = operation switch
        {
            "pull" => await auth.SendAsync(HttpMethod.Get, $"/v2/{repo}/manifests/base", await auth.GetTokenAsync(user, password, $"repository:{repo}:pull")),
            "list-tags" => await auth.SendAsync(HttpMethod.Get, $"/v2/{repo}/tags/list", await auth.GetTokenAsync(user, password, $"repository:{repo}:pull")),
            "push" => await auth.SendAsync(HttpMethod.Put, $"/v2/{repo}/manifests/pushed-by-{role}",
                await auth.GetTokenAsync(user, password, $"repository:{repo}:pull,push"), PermissionFixture.ManifestContent(fixture.Manifest)),
            "delete" => await auth.SendAsync(HttpMethod.Delete, $"/v2/{repo}/manifests/del-{role}", await auth.GetTokenAsync(user, password, $"repository:{repo}:delete")),
            "catalog" => await auth.SendAsync(HttpMethod.Get, "/v2/_catalog", await auth.GetTokenAsync(user, password, "registry:catalog:*")),
            "repository-settings" => await auth.ApiAsync(HttpMethod.Patch, $"/api/v0/repositories/{repo}", user, password, new { shortDescription = $"set by {role}" }),
            "trust-policy" => await auth.ApiAsync(HttpMethod.Put, $"/api/v0/repositories/{repo}/trustPolicy", user, password, new { enforce = false }),
            "signing-policy" => await auth.ApiAsync(HttpMethod.Post, $"/api/v0/repositories/{repo}/signingPolicies?initialEvaluation=false", user, password,
                new { rules = new[] { new { field = "tag", @operator = "eq", values = new[] { $"none-{role}" } } } }),
            // Notary: tokens for the GUN as the Notary client asks for them; an empty publish is refused only after the check
            "notary-read" => await auth.SendAsync(HttpMethod.Get, $"/v2/{Gun(repo)}/_trust/tuf/root.json", await auth.GetTokenAsync(user, password, $"repository:{Gun(repo)}:pull")),
            "notary-publish" => await auth.SendAsync(HttpMethod.Post, $"/v2/{Gun(repo)}/_trust/tuf/",
                await auth.GetTokenAsync(user, password, $"repository:{Gun(repo)}:push,pull"), new StringContent("{}")),
            "notary-key" => await auth.SendAsync(HttpMethod.Post, $"/v2/{Gun(repo)}/_trust/tuf/snapshot.key", await auth.GetTokenAsync(user, password, $"repository:{Gun(repo)}:*")),
            "notary-delete" => await auth.SendAsync(HttpMethod.Delete, $"/v2/{Gun(repo)}/_trust/tuf/", await auth.GetTokenAsync(user, password, $"repository:{Gun(repo)}:*")),
            _ => await auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/{repo}/teamAccess", user, password),
        };

        // Assert
        var (status, code) = Expected(role, operation, level);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{role} {operation} {visibility}: expected {status}, got {(int)response.StatusCode} {body}");
        if (code is not null)
        {
            Assert.Equal(code, await AuthClient.ErrorCodeAsync(response));
        }
    }

    [Fact]
    public async Task Token_NameThatReadsAsRepositoryAndGun_GrantsEachReadingOnItsOwnPermissions()
    {
        // Arrange: "x.y/acme/private" is a repository of the namespace x.y (where wally has nothing) and the GUN of
        // acme/private on the host x.y (where wally may push)
        var auth = fixture.Auth;
        const string name = "x.y/acme/private";
        var token = await auth.GetTokenAsync("wally", PermissionFixture.Password, $"repository:{name}:pull,push");

        // Act
        using var push = await auth.SendAsync(HttpMethod.Put, $"/v2/{name}/manifests/by-gun-token", token, PermissionFixture.ManifestContent(fixture.Manifest));
        using var publish = await auth.SendAsync(HttpMethod.Post, $"/v2/{name}/_trust/tuf/", token, new StringContent("{}"));

        // Assert: the token cannot push to the repository x.y/acme/private, and may publish trust data for the GUN
        Assert.Equal((HttpStatusCode.Forbidden, "DENIED"), (push.StatusCode, await AuthClient.ErrorCodeAsync(push)));
        Assert.Equal((HttpStatusCode.BadRequest, "MALFORMED_UPLOAD"), (publish.StatusCode, await AuthClient.ErrorCodeAsync(publish)));
    }

    private static string Gun(string repo) => $"registry.example:5000/{repo}";

    private static (int Status, string? Code) Expected(string role, string operation, string level)
    {
        var anonymous = role == "anonymous";
        var rank = Array.IndexOf(Order, level);
        (int, string?) RegistryDenied() => anonymous ? (401, "UNAUTHORIZED") : (403, "DENIED");
        // a repository the caller cannot read answers as one that does not exist
        (int, string?) ApiDenied() => rank == 0 ? (404, "NO_SUCH_REPOSITORY") : anonymous ? (401, "NOT_AUTHENTICATED") : (403, "NOT_AUTHORIZED");
        return operation switch
        {
            "pull" or "list-tags" => rank >= 1 ? (200, null) : RegistryDenied(),
            "push" => rank >= 2 ? (201, null) : RegistryDenied(),
            "delete" => rank >= 2 ? (202, null) : RegistryDenied(),
            "catalog" => role == "system-admin" ? (200, null) : RegistryDenied(),
            "signing-policy" => rank >= 3 ? (201, null) : ApiDenied(),
            // as notary-server: 401 for every refusal, which the Notary client reports as "not authorized"
            "notary-read" => rank >= 1 ? (404, "METADATA_NOT_FOUND") : (401, "UNAUTHORIZED"),
            "notary-publish" => rank >= 2 ? (400, "MALFORMED_UPLOAD") : (401, "UNAUTHORIZED"),
            "notary-key" or "notary-delete" => rank >= 3 ? (200, null) : (401, "UNAUTHORIZED"),
            _ => rank >= 3 ? (200, null) : ApiDenied(),
        };
    }
}
