using System.Net;
using System.Text;
using System.Text.Json;
using Registry.Oci;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// DTR's push mirroring by hand and its remote registry check, between two hosts of ours with authentication on
/// (each its own storage and accounts): the local one may reach private addresses, as a registry inside a private
/// network is set up to; the remote may not.
/// </summary>
public sealed class MirroringTests : IAsyncLifetime
{
    /// <summary>The remote's administrator (its own account in its own storage, with the same password, so the test helpers serve both hosts).</summary>
    private const string RemotePassword = AuthClient.AdminPassword;
    private RegistryHost _local = null!;
    private RegistryHost _remote = null!;
    private AuthClient _auth = null!;
    private AuthClient _remoteAuth = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string>(AuthClient.Settings) { ["Registry__Mirroring__AllowPrivateNetworks"] = "true" };
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
    public async Task PushMirroring_ImageAndIndex_TheRemoteServesTheSameDigestsAndBytes()
    {
        // Arrange: an image and an index of two images in a local repository
        var oci = await _auth.AdminRepositoryAsync("app", new { name = "app" });
        var image = await oci.PushImageAsync("admin/app", "v1");
        var amd = await oci.PushImageAsync("admin/app", "amd");
        var arm = await oci.PushImageAsync("admin/app", "arm");
        var index = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageIndex}\",\"manifests\":[" +
                    $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{amd.Digest}\",\"size\":{Encoding.UTF8.GetByteCount(amd.Manifest)},\"platform\":{{\"os\":\"linux\",\"architecture\":\"amd64\"}}}}," +
                    $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{arm.Digest}\",\"size\":{Encoding.UTF8.GetByteCount(arm.Manifest)},\"platform\":{{\"os\":\"linux\",\"architecture\":\"arm64\"}}}}]}}";
        using (var put = await oci.PutManifestAsync("admin/app", "multi", index, MediaTypes.ImageIndex))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Act: the image under another tag, the index, and the image again (its blobs there already)
        var first = await MirrorAsync("v1", "release");
        var multi = await MirrorAsync("multi", "");
        var again = await MirrorAsync("v1", "release");

        // Assert: DTR's model; the remote answers the same manifests and blobs
        DtrContract.AssertMatches(first, "Mirroring");
        Assert.Equal((image.Digest, "admin/copy", "release", ""), (first.GetProperty("digest").GetString(), first.GetProperty("remoteRepository").GetString(),
            first.GetProperty("remoteTag").GetString(), first.GetProperty("mirroringPolicyID").GetString()));
        Assert.Equal(("multi", image.Digest), (multi.GetProperty("remoteTag").GetString(), again.GetProperty("digest").GetString()));
        var remote = await _remoteAuth.AdminClientAsync("repository:admin/copy:pull");
        Assert.Equal(image.Digest, await RemoteDigestAsync(remote, "release"));
        Assert.Equal(image.Layer, await remote.GetBlobAsync("admin/copy", image.LayerDigest));
        Assert.Equal(OciTestClient.DigestOf(Encoding.UTF8.GetBytes(index)), await RemoteDigestAsync(remote, "multi"));
        Assert.Equal(arm.Digest, await RemoteDigestAsync(remote, arm.Digest));
        Assert.Equal(arm.Layer, await remote.GetBlobAsync("admin/copy", arm.LayerDigest));
    }

    [Fact]
    public async Task CheckRemoteRegistry_Accounts_WhatTheRemoteGrantsEach()
    {
        // Arrange: on the remote, a public repository and a user who may only read it
        await _remoteAuth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "shared", visibility = "public" });
        await _remoteAuth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "reader", password = "reader-password-1" });

        // Act
        var admin = await CheckAsync("admin", RemotePassword);
        var reader = await CheckAsync("reader", "reader-password-1");
        var wrong = await CheckAsync("admin", "not-the-password");

        // Assert
        DtrContract.AssertMatches(admin, "RemoteRegistryCheck");
        Assert.Equal(("dtr", true, true), Permissions(admin));
        Assert.Equal(("dtr", true, false), Permissions(reader));
        Assert.Equal(("dtr", false, false), Permissions(wrong));

        static (string?, bool, bool) Permissions(JsonElement check) => (check.GetProperty("registryType").GetString(),
            check.GetProperty("permissions").GetProperty("read").GetBoolean(), check.GetProperty("permissions").GetProperty("write").GetBoolean());
    }

    [Fact]
    public async Task PushMirroring_BadInputOrPrivateAddress_DtrErrorsAndNothingPushed()
    {
        // Arrange
        var oci = await _auth.AdminRepositoryAsync("bad", new { name = "bad" });
        await oci.PushImageAsync("admin/bad", "v1");
        var host = _remote.BaseAddress.ToString();

        // Act: a wrong password, a scheme that is no registry's, a bad repository name, an unknown local tag, a bad CA
        using var refused = await PostAsync("/api/v0/repositories/admin/bad/tags/v1/pushMirroring", new { remoteHost = host, remoteRepository = "admin/bad", username = "admin", password = "wrong" });
        using var scheme = await PostAsync("/api/v0/repositories/admin/bad/tags/v1/pushMirroring", new { remoteHost = "ftp://example.com", remoteRepository = "admin/bad" });
        using var name = await PostAsync("/api/v0/repositories/admin/bad/tags/v1/pushMirroring", new { remoteHost = host, remoteRepository = "Admin//Bad" });
        using var tag = await PostAsync("/api/v0/repositories/admin/bad/tags/nope/pushMirroring", new { remoteHost = host, remoteRepository = "admin/bad", username = "admin", password = RemotePassword });
        using var ca = await PostAsync("/api/v0/remote/registry", new { remoteHost = host, remoteRepository = "admin/bad", remoteCA = "not a certificate" });
        using var remoteTags = await _remoteAuth.ApiAsync(HttpMethod.Get, "/api/v0/repositories/admin/bad", "admin", RemotePassword);
        // ... and from a host that may not reach private addresses (the remote, by default) to the local one at loopback
        var remoteOci = await _remoteAuth.AdminClientAsync("repository:admin/outbound:pull,push");
        await remoteOci.PushImageAsync("admin/outbound", "v1");
        using var loopback = await _remoteAuth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/admin/outbound/tags/v1/pushMirroring", "admin", RemotePassword,
            new { remoteHost = _local.BaseAddress.ToString(), remoteRepository = "admin/inbound", username = AuthClient.AdminUser, password = AuthClient.AdminPassword });

        // Assert
        Assert.Equal((HttpStatusCode.BadRequest, "REMOTE_REGISTRY_INVALID_PERMISSIONS"), (refused.StatusCode, await AuthClient.ErrorCodeAsync(refused)));
        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest], new[] { scheme.StatusCode, name.StatusCode, ca.StatusCode });
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(scheme));
        Assert.Equal((HttpStatusCode.NotFound, "NO_SUCH_TAG"), (tag.StatusCode, await AuthClient.ErrorCodeAsync(tag)));
        Assert.Equal(HttpStatusCode.NotFound, remoteTags.StatusCode);   // nothing reached the remote
        Assert.Equal((HttpStatusCode.BadGateway, "REMOTE_REGISTRY_UNAVAILABLE"), (loopback.StatusCode, await AuthClient.ErrorCodeAsync(loopback)));
        Assert.Contains("private", await loopback.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private Task<JsonElement> MirrorAsync(string tag, string remoteTag) => _auth.JsonAsync(HttpMethod.Post, $"/api/v0/repositories/admin/app/tags/{tag}/pushMirroring",
        AuthClient.AdminUser, AuthClient.AdminPassword,
        new { remoteHost = _remote.BaseAddress.ToString(), remoteRepository = "admin/copy", remoteTag, username = "admin", password = RemotePassword }, HttpStatusCode.Created);

    private Task<JsonElement> CheckAsync(string user, string password) => _auth.JsonAsync(HttpMethod.Post, "/api/v0/remote/registry",
        AuthClient.AdminUser, AuthClient.AdminPassword,
        new { remoteHost = _remote.BaseAddress.ToString(), remoteRepository = "admin/shared", username = user, password }, HttpStatusCode.Created);

    private Task<HttpResponseMessage> PostAsync(string path, object body) => _auth.ApiAsync(HttpMethod.Post, path, AuthClient.AdminUser, AuthClient.AdminPassword, body);

    private static async Task<string> RemoteDigestAsync(OciTestClient remote, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/admin/copy/manifests/{reference}");
        request.Headers.TryAddWithoutValidation("Accept", MediaTypes.ManifestAccept);
        using var response = await remote.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return OciTestClient.DigestOf(await response.Content.ReadAsByteArrayAsync());
    }
}
