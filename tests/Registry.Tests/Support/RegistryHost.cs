using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Registry.Tests.Support;

/// <summary>
/// A registry on a free loopback port, over the Azurite that the test command started: the standalone host (the
/// built Registry.Functions executable), or the same executable as a Functions worker behind the Functions-host
/// stand-in (tests/Registry.FunctionsHost), with the app settings the Bicep template gives it. Each host gets storage
/// names of its own unless it is told to share them.
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

    /// <summary>
    /// The app settings the Functions host needs beyond the app's own defaults: the storage of its triggers, the
    /// settings that <c>%...%</c> bindings name (infra/modules/function-app.bicep sets the same) and the front end's
    /// request body limit as the template sets it.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> FunctionsAppSettings = new Dictionary<string, string>
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["Registry__Storage__ConnectionString"] = AzuriteCheck.ConnectionString + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;",
        ["Registry__Pruning__Schedule"] = "0 */15 * * * *",
        ["Registry__Gc__Schedule"] = "0 0 2 * * *",
        ["Registry__Scan__DatabaseSchedule"] = "0 0 3 * * *",
        ["Registry__Cache__Schedule"] = "0 */30 * * * *",
        ["Registry__Mirroring__PollSchedule"] = "0 */15 * * * *",
        ["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"] = "4294967296",
    };

    /// <summary>Starts a host; <paramref name="storagePrefix"/> shares storage with another host when given.</summary>
    public static Task<RegistryHost> StartAsync(string? storagePrefix = null, IReadOnlyDictionary<string, string>? settings = null) =>
        StartAsync(functionsHost: false, storagePrefix, settings);

    /// <summary>Starts the app behind the Functions-host stand-in; <paramref name="unset"/> names app settings to leave out.</summary>
    public static Task<RegistryHost> StartFunctionsAsync(IReadOnlyDictionary<string, string>? settings = null, IReadOnlyCollection<string>? unset = null) =>
        StartAsync(functionsHost: true, null, settings, unset);

    private static async Task<RegistryHost> StartAsync(
        bool functionsHost, string? storagePrefix, IReadOnlyDictionary<string, string>? settings, IReadOnlyCollection<string>? unset = null)
    {
        await AzuriteCheck.EnsureRunningAsync();
        var assembly = BuiltAssembly("RegistryHostAssembly");
        var prefix = storagePrefix ?? "t" + Guid.NewGuid().ToString("N")[..12];
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (functionsHost)
        {
            start.ArgumentList.Add(BuiltAssembly("FunctionsHostAssembly"));
            start.ArgumentList.Add("--app");
            start.ArgumentList.Add(Path.GetDirectoryName(assembly)!);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add($"http://127.0.0.1:{port}");
            foreach (var (key, value) in FunctionsAppSettings)
            {
                start.Environment[key] = value;
            }
        }
        else
        {
            start.ArgumentList.Add(assembly);
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        }

        start.Environment["Registry__Storage__Container"] = prefix;
        start.Environment["Registry__Storage__TablePrefix"] = prefix;
        // Hosts share Azurite: each polls scan, signing, webhook and mirroring queues of its own storage.
        start.Environment["Registry__Scan__Queue"] = prefix + "-scans";
        start.Environment["Registry__Signing__Queue"] = prefix + "-signatures";
        start.Environment["Registry__Webhooks__Queue"] = prefix + "-webhooks";
        start.Environment["Registry__Mirroring__Queue"] = prefix + "-mirrors";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // Protocol tests run without authentication unless they ask for it (Registry__Auth__Enabled=true).
        start.Environment["Registry__Auth__Enabled"] = "false";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        if (!functionsHost && settings?.Keys.Any(k => k.StartsWith("Kestrel__Endpoints__", StringComparison.Ordinal)) == true)
        {
            // Kestrel's endpoints replace ASPNETCORE_URLS: the host's own address becomes one of them.
            start.Environment["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{port}";
        }

        foreach (var key in unset ?? [])
        {
            start.Environment.Remove(key);
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
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // waiting for the exit also waits until the redirected output has been read to its end
                await _process.WaitForExitAsync();
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

        throw new TimeoutException($"the registry host did not answer within 60 s:\n{Output}");
    }

    private static string BuiltAssembly(string key)
    {
        var path = typeof(RegistryHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
        return File.Exists(path) ? path : throw new InvalidOperationException($"Not built: {path}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
