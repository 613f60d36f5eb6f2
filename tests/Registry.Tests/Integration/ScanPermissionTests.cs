using System.Net;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>Who may scan: starting a scan needs write access, reading results read access, the database update a system administrator.</summary>
public sealed class ScanPermissionTests : IAsyncLifetime
{
    private const string Password = "a-user-password-1";
    private RegistryHost _host = null!;
    private AuthClient _auth = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync(settings: AuthClient.Settings);
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
}
