using System.Net.Sockets;

namespace Registry.Tests.Support;

/// <summary>Integration tests need Azurite; without it they fail with a message that says so (never skip).</summary>
public static class AzuriteCheck
{
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
