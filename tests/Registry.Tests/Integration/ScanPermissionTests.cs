using System.Net;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Who may scan: starting a scan needs write access, reading results read access, the database update a system
/// administrator; the images by CVE, component, layer or license list only what the caller may read. Also the online
/// update, from an address set in configuration (here a SAS URL of a blob).
/// </summary>
public sealed class ScanPermissionTests : IAsyncLifetime
{
    private const string Password = "a-user-password-1";
    private RegistryHost _host = null!;
    private AuthClient _auth = null!;

    private Uri _databaseUrl = null!;

    public async Task InitializeAsync()
    {
        _databaseUrl = await PublishFixtureAsync();
        _host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>(AuthClient.Settings) { ["Registry__Scan__DatabaseUrl"] = _databaseUrl.AbsoluteUri });
        _auth = new AuthClient(_host.Client);
        await _auth.AdminAsync(HttpMethod.Post, "/enzi/v0/accounts", new { name = "reader", password = Password });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Imagescan_ReadOnlyUser_ViewsButCannotStartOrUpdate()
    {
        // Arrange: a public repository (read-only for every user) with an image
        var oci = await _auth.AdminRepositoryAsync("scanned", new { name = "scanned", visibility = "public" });
        await oci.PushImageAsync("admin/scanned", "v1");

        // Act
        using var readerView = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/imagescan/scansummary/repositories/admin/scanned/v1", "reader", Password);
        using var readerScan = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/imagescan/scan/admin/scanned/v1", "reader", Password);
        using var anonymousScan = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/imagescan/scan/admin/scanned/v1", null, null);
        using var readerUpdate = await _auth.ApiAsync(HttpMethod.Put, "/api/v0/imagescan/scan/update", "reader", Password);
        using var adminScan = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/imagescan/scan/admin/scanned/v1", AuthClient.AdminUser, AuthClient.AdminPassword);
        using var status = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/imagescan/status", "reader", Password);

        // Assert
        Assert.Equal(HttpStatusCode.OK, readerView.StatusCode);
        Assert.Equal("NOT_AUTHORIZED", await AuthClient.ErrorCodeAsync(readerScan));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousScan.StatusCode);
        Assert.Equal("NOT_AUTHORIZED", await AuthClient.ErrorCodeAsync(readerUpdate));
        Assert.Equal(HttpStatusCode.Accepted, adminScan.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    [Fact]
    public async Task FindScannedImages_ByCveComponentLayerLicense_OnlyWhatTheCallerMayRead()
    {
        // Arrange: the same vulnerable Alpine image in a public and a private repository, both scanned
        using (var update = await _auth.ApiAsync(HttpMethod.Put, "/api/v0/imagescan/scan/update?online=true", AuthClient.AdminUser, AuthClient.AdminPassword))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        }

        var layer = TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled)));
        var open = await _auth.AdminRepositoryAsync("cveopen", new { name = "cveopen", visibility = "public" });
        var image = await open.PushImageAsync("admin/cveopen", "v1", layer: layer);
        var closed = await _auth.AdminRepositoryAsync("cveclosed", new { name = "cveclosed", visibility = "private" });
        await closed.PushImageAsync("admin/cveclosed", "v1", layer: layer);
        foreach (var repo in new[] { "admin/cveopen", "admin/cveclosed" })
        {
            using var scan = await _auth.ApiAsync(HttpMethod.Post, $"/api/v0/imagescan/scan/{repo}/v1", AuthClient.AdminUser, AuthClient.AdminPassword);
            Assert.Equal(HttpStatusCode.Accepted, scan.StatusCode);
            await WaitForCompletedAsync(repo);
        }

        // Act
        var readerByCve = await FindAsync("cve/CVE-2021-3449", "reader", Password);
        var adminByCve = await FindAsync("cve/CVE-2021-3449", AuthClient.AdminUser, AuthClient.AdminPassword);
        var adminFirst = await FindAsync("component/libssl1.1?pageSize=1", AuthClient.AdminUser, AuthClient.AdminPassword);
        var adminSecond = await FindAsync($"component/libssl1.1?pageSize=1&pageStart={Uri.EscapeDataString(adminFirst.Next!)}", AuthClient.AdminUser, AuthClient.AdminPassword);
        var readerByLayer = await FindAsync($"layer/{image.LayerDigest}", "reader", Password);
        var readerByLicense = await FindAsync("license/OpenSSL", "reader", Password);
        var readerUnknownCve = await FindAsync("cve/CVE-1999-0001", "reader", Password);
        using var badStart = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/imagescan/scansummary/cve/CVE-2021-3449?pageStart=nocolon", "reader", Password);

        // Assert: the private repository is listed only to the administrator; pages follow X-Next-Page-Start
        Assert.Equal(["admin/cveopen:v1"], readerByCve.Images);
        Assert.Equal(["admin/cveclosed:v1", "admin/cveopen:v1"], adminByCve.Images);
        Assert.Equal(["admin/cveclosed:v1"], adminFirst.Images);
        Assert.Equal("admin/cveopen:v1", adminFirst.Next);
        Assert.Equal(["admin/cveopen:v1"], adminSecond.Images);
        Assert.Null(adminSecond.Next);
        Assert.Equal(["admin/cveopen:v1"], readerByLayer.Images);
        Assert.Equal(["admin/cveopen:v1"], readerByLicense.Images);
        Assert.Empty(readerUnknownCve.Images);
        Assert.Equal("INVALID_PARAMETER", await AuthClient.ErrorCodeAsync(badStart));
    }

    /// <summary>The images (namespace/repository:tag) of a page of summaries by CVE, component, layer or license, and the next page's start.</summary>
    private async Task<(List<string> Images, string? Next)> FindAsync(string path, string? user, string? password)
    {
        using var response = await _auth.ApiAsync(HttpMethod.Get, $"/api/v0/imagescan/scansummary/{path}", user, password);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var images = System.Text.Json.JsonDocument.Parse(body).RootElement.EnumerateArray()
            .Select(s => s.GetProperty("scannedImage"))
            .Select(i => $"{i.GetProperty("namespace").GetString()}/{i.GetProperty("repository").GetString()}:{i.GetProperty("tag").GetString()}")
            .ToList();
        return (images, response.Headers.TryGetValues("X-Next-Page-Start", out var next) ? next.Single() : null);
    }

    private async Task WaitForCompletedAsync(string repo)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            using var summary = await _auth.ApiAsync(HttpMethod.Get, $"/api/v0/imagescan/scansummary/repositories/{repo}/v1", AuthClient.AdminUser, AuthClient.AdminPassword);
            var status = System.Text.Json.JsonDocument.Parse(await summary.Content.ReadAsStringAsync()).RootElement[0].GetProperty("scanStatus").GetInt32();
            if (status == 6)
            {
                return;
            }

            Assert.True(status != 0 && DateTime.UtcNow < deadline, $"the scan of {repo} is at status {status}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task ToggleScanOnPush_SystemAdministrator_EveryRepositoryOthersRefused()
    {
        // Arrange: two repositories without scan on push
        await _auth.AdminRepositoryAsync("first", new { name = "first", visibility = "public" });
        await _auth.AdminRepositoryAsync("second", new { name = "second", visibility = "private", scanOnPush = false });

        // Act
        using var reader = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/scan/toggle", "reader", Password, new { scanOnPush = true });
        using var noValue = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/scan/toggle", AuthClient.AdminUser, AuthClient.AdminPassword, new { });
        using var on = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/scan/toggle", AuthClient.AdminUser, AuthClient.AdminPassword, new { scanOnPush = true });
        var afterOn = await ScanOnPushAsync();
        using var off = await _auth.ApiAsync(HttpMethod.Post, "/api/v0/repositories/scan/toggle", AuthClient.AdminUser, AuthClient.AdminPassword, new { scanOnPush = false });
        var afterOff = await ScanOnPushAsync();

        // Assert
        Assert.Equal("NOT_AUTHORIZED", await AuthClient.ErrorCodeAsync(reader));
        Assert.Equal("INVALID_FORM_FIELD", await AuthClient.ErrorCodeAsync(noValue));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (on.StatusCode, off.StatusCode));
        Assert.Equal((true, true), afterOn);
        Assert.Equal((false, false), afterOff);
    }

    [Fact]
    public async Task GetFeatures_SignedInUser_DtrFeatures()
    {
        // Act
        using var reader = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/meta/features", "reader", Password);
        using var anonymous = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/meta/features", null, null);
        using var update = await _auth.ApiAsync(HttpMethod.Put, "/api/v0/imagescan/scan/update?online=true", AuthClient.AdminUser, AuthClient.AdminPassword);
        var database = System.Text.Json.JsonDocument.Parse(await update.Content.ReadAsStringAsync()).RootElement.GetProperty("databaseVersion").GetString()!;
        using var withDatabase = await _auth.ApiAsync(HttpMethod.Get, "/api/v0/meta/features", "reader", Password);

        // Assert: DTR's model; mirroring policies are not offered; db_version is the database's date
        var features = System.Text.Json.JsonDocument.Parse(await reader.Content.ReadAsStringAsync()).RootElement;
        DtrContract.AssertMatches(features, "Features");
        Assert.Equal((true, true, 0), (features.GetProperty("scanningEnabled").GetBoolean(), features.GetProperty("mirroringLicensed").GetBoolean(),
            features.GetProperty("db_version").GetInt32()));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var version = System.Text.Json.JsonDocument.Parse(await withDatabase.Content.ReadAsStringAsync()).RootElement.GetProperty("db_version").GetInt32();
        Assert.Equal(database[..8], version.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<(bool First, bool Second)> ScanOnPushAsync()
    {
        async Task<bool> OneAsync(string repo)
        {
            using var response = await _auth.ApiAsync(HttpMethod.Get, $"/api/v0/repositories/admin/{repo}", AuthClient.AdminUser, AuthClient.AdminPassword);
            return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("scanOnPush").GetBoolean();
        }

        return (await OneAsync("first"), await OneAsync("second"));
    }

    [Fact]
    public async Task UpdateDatabase_Online_FetchesTheConfiguredAddress()
    {
        // Act
        using var update = await _auth.ApiAsync(HttpMethod.Put, "/api/v0/imagescan/scan/update?online=true", AuthClient.AdminUser, AuthClient.AdminPassword);
        var body = await update.Content.ReadAsStringAsync();

        // Assert: the source is recorded without the address's query (a SAS token)
        Assert.True(update.StatusCode == HttpStatusCode.OK, body);
        using var status = System.Text.Json.JsonDocument.Parse(body);
        DtrContract.AssertMatches(status.RootElement, "NautilusStatus");
        Assert.Equal(("ready", 1), (status.RootElement.GetProperty("status").GetString(), status.RootElement.GetProperty("state").GetInt32()));
        Assert.Equal(8, status.RootElement.GetProperty("advisories").GetInt32());
        Assert.Equal(_databaseUrl.GetLeftPart(UriPartial.Path), status.RootElement.GetProperty("db_source").GetString());
        Assert.DoesNotContain("sig=", body, StringComparison.Ordinal);
    }

    /// <summary>The OSV fixture as a zip in a blob of its own, behind a read-only SAS URL.</summary>
    private static async Task<Uri> PublishFixtureAsync()
    {
        await AzuriteCheck.EnsureRunningAsync();
        var container = new Azure.Storage.Blobs.BlobContainerClient(AzuriteCheck.ConnectionString, "osv" + Guid.NewGuid().ToString("N")[..12]);
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient("all.zip");
        await blob.UploadAsync(new BinaryData(OsvFixture.Zip()));
        return blob.GenerateSasUri(Azure.Storage.Sas.BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));
    }
}
