using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// HTTPS on the standalone host from Kestrel's configuration (a PEM certificate and key made in the test), beside
/// plain HTTP: an HTTP client that trusts the certificate, and skopeo with the certificate as its CA (and refused
/// without it).
/// </summary>
public sealed class TlsTests
{
    [Fact]
    public async Task Https_PemCertificateConfigured_ServedBesideHttpAndVerifiedBySkopeo()
    {
        // Arrange: a certificate for 127.0.0.1, its key, and a certificate directory as skopeo reads one
        var directory = Directory.CreateTempSubdirectory("registry-tls-");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=registry test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(directory.FullName, "registry.crt");
        var keyPath = Path.Combine(directory.FullName, "registry.key");
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        var certDir = Directory.CreateDirectory(Path.Combine(directory.FullName, "certs"));
        await File.WriteAllTextAsync(Path.Combine(certDir.FullName, "ca.crt"), certificate.ExportCertificatePem());
        var tlsPort = RegistryHost.FreePort();
        await using var host = await RegistryHost.StartAsync(settings: new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Https__Url"] = $"https://127.0.0.1:{tlsPort}",
            ["Kestrel__Endpoints__Https__Certificate__Path"] = certificatePath,
            ["Kestrel__Endpoints__Https__Certificate__KeyPath"] = keyPath,
        });
        var repo = OciTestClient.NewRepository("tls");
        var image = await new OciTestClient(host.Client).PushImageAsync(repo, "v1");   // over plain HTTP, beside HTTPS

        // Act
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, served, _, _) => served?.Thumbprint == certificate.Thumbprint };
        using var https = new HttpClient(handler);
        using var root = await https.GetAsync($"https://127.0.0.1:{tlsPort}/v2/");
        var trusted = await SkopeoAsync(directory.FullName, "inspect", "--cert-dir", certDir.FullName, $"docker://127.0.0.1:{tlsPort}/{repo}:v1");
        var untrusted = await SkopeoAsync(directory.FullName, "inspect", $"docker://127.0.0.1:{tlsPort}/{repo}:v1");

        // Assert
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.True(trusted.ExitCode == 0, trusted.Output);
        Assert.Equal(image.Digest, JsonDocument.Parse(trusted.Output).RootElement.GetProperty("Digest").GetString());
        Assert.NotEqual(0, untrusted.ExitCode);
        Assert.Contains("certificate", untrusted.Output);
        directory.Delete(recursive: true);
    }

    /// <summary>Runs skopeo with a registries.conf of its own (nothing marked insecure); its exit code and output.</summary>
    private static async Task<(int ExitCode, string Output)> SkopeoAsync(string scratch, params string[] arguments)
    {
        var registries = Path.Combine(scratch, "registries.conf");
        await File.WriteAllTextAsync(registries, "unqualified-search-registries = []\n");
        var start = new ProcessStartInfo("skopeo") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["CONTAINERS_REGISTRIES_CONF"] = registries;
        start.Environment["REGISTRY_AUTH_FILE"] = Path.Combine(scratch, "auth.json");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await output) + (await error));
    }
}
