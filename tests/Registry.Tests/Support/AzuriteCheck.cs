using System.Net.Sockets;

namespace Registry.Tests.Support;

/// <summary>Integration tests need Azurite; without it they fail with a message that says so (never skip).</summary>
public static class AzuriteCheck
{
    /// <summary>Azurite's well-known development account (public, not a secret), for tests that open storage themselves.</summary>
    public const string ConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    public static async Task EnsureRunningAsync()
    {
        foreach (var port in new[] { 10000, 10002 })
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
            }
            catch (SocketException)
            {
                throw new InvalidOperationException(
                    $"Azurite is not listening on 127.0.0.1:{port}. Run the tests with scripts/test.sh, which starts it.");
            }
        }
    }
}
