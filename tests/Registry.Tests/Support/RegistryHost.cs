using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Registry.Tests.Support;

/// <summary>
/// A standalone host process (the built Registry.Functions executable) on a free loopback port, over the Azurite
/// that the test command started. Each host gets storage names of its own unless it is told to share them.
/// </summary>
public sealed class RegistryHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RegistryHost(Process process, Uri baseAddress, string storagePrefix)
    {
        _process = process;
        BaseAddress = baseAddress;
        StoragePrefix = storagePrefix;
        Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public Uri BaseAddress { get; }

    public string StoragePrefix { get; }

    public HttpClient Client { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a host; <paramref name="storagePrefix"/> shares storage with another host when given.</summary>
    public static async Task<RegistryHost> StartAsync(string? storagePrefix = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        await AzuriteCheck.EnsureRunningAsync();
        var assembly = typeof(RegistryHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RegistryHostAssembly").Value!;
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException($"The registry host is not built: {assembly}");
        }

        var prefix = storagePrefix ?? "t" + Guid.NewGuid().ToString("N")[..12];
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Registry__Storage__Container"] = prefix;
        start.Environment["Registry__Storage__TablePrefix"] = prefix;
        // Hosts share Azurite: each polls a scan queue of its own storage.
        start.Environment["Registry__Scan__Queue"] = prefix + "-scans";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // Protocol tests run without authentication unless they ask for it (Registry__Auth__Enabled=true).
        start.Environment["Registry__Auth__Enabled"] = "false";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the registry host");
        var host = new RegistryHost(process, new Uri($"http://127.0.0.1:{port}"), prefix);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await host.WaitUntilReadyAsync();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the registry host exited:\n{Output}");
            }

            try
            {
                using var response = await Client.GetAsync("/v2/");
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the registry host did not answer within 30 s:\n{Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
