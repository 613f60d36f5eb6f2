using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Registry.Tests.Support;

/// <summary>
/// An Azurite of a test's own, on free ports with its data on disk, so that the test can stop it (storage outage)
/// and start it again with the same data, without touching the Azurite every other test uses.
/// </summary>
public sealed class OwnAzurite : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "azurite-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly int _blobPort = FreePort();
    private readonly int _queuePort = FreePort();
    private readonly int _tablePort = FreePort();
    private Process? _process;

    /// <summary>The connection string of this Azurite (the well-known development account).</summary>
    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        // An IP address, so that the SDK reads the account from the path (it does so for "localhost" on Azurite's usual ports only).
        $"BlobEndpoint=http://127.0.0.1:{_blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{_queuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{_tablePort}/devstoreaccount1;";

    /// <summary>The queue endpoint alone, for a host whose queues (only) live here.</summary>
    public string QueueEndpoint => $"http://127.0.0.1:{_queuePort}/devstoreaccount1";

    /// <summary>Starts Azurite and waits until its ports answer.</summary>
    public async Task StartAsync()
    {
        var root = Tool.RepositoryRoot();
        var start = new ProcessStartInfo(Path.Combine(root, "node_modules", ".bin", "azurite"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--skipApiVersionCheck", "--loose", "--silent", "--location", _directory,
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", _blobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queuePort", _queuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tablePort", _tablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var port in new[] { _blobPort, _queuePort, _tablePort })
        {
            while (!await ListensAsync(port))
            {
                Assert.True(DateTime.UtcNow < deadline, $"Azurite did not listen on {port} within 30 s");
                await Task.Delay(100);
            }
        }

        // Listening is not yet serving: wait until the blob service answers a request.
        var blobs = new Azure.Storage.Blobs.BlobServiceClient(ConnectionString);
        while (true)
        {
            try
            {
                await blobs.GetPropertiesAsync();
                return;
            }
            catch (Azure.RequestFailedException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>
    /// Stops Azurite: asked to end (it closes its ports at once, then writes its data to disk for the next start),
    /// killed if it has not ended within a minute.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<bool> ListensAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
