using System.Net;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Who may scan: starting a scan needs write access, reading results read access, the database update a system
/// administrator. Also the online update, from an address set in configuration (here a SAS URL of a blob).
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
    public async Task UpdateDatabase_Online_FetchesTheConfiguredAddress()
    {
        // Act
        using var update = await _auth.ApiAsync(HttpMethod.Put, "/api/v0/imagescan/scan/update?online=true", AuthClient.AdminUser, AuthClient.AdminPassword);
        var body = await update.Content.ReadAsStringAsync();

        // Assert: the source is recorded without the address's query (a SAS token)
        Assert.True(update.StatusCode == HttpStatusCode.OK, body);
        using var status = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal("ready", status.RootElement.GetProperty("state").GetString());
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
