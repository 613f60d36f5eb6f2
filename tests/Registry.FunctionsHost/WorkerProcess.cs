using System.Diagnostics;
using System.Globalization;

namespace Registry.FunctionsHost;

/// <summary>
/// Starts the worker as the Functions host does: <c>dotnet &lt;app&gt;.dll</c> (worker.config.json's executable and
/// worker path) in the app directory, with the host's command-line arguments and environment. When the worker exits,
/// the stand-in stops with its exit code: a test host must not hide a crashed worker.
/// </summary>
public sealed partial class WorkerProcess(
    IConfiguration configuration, WorkerChannel channel, GrpcEndpoint grpc, IHostApplicationLifetime lifetime, ILogger<WorkerProcess> logger)
    : BackgroundService
{
    private Process? _process;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = configuration["AzureWebJobsScriptRoot"]!;
        var workerPath = WorkerConfig.Read(directory);
        var workerId = Guid.NewGuid().ToString();
        var requestId = Guid.NewGuid().ToString();
        const int MaxMessageLength = int.MaxValue;
        var uri = grpc.Address;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(directory, workerPath));
        var port = uri.Port.ToString(CultureInfo.InvariantCulture);
        var maxLength = MaxMessageLength.ToString(CultureInfo.InvariantCulture);
        // The Functions host's arguments: the older names first, then the "functions-" ones that workers prefer.
        foreach (var argument in new[]
        {
            "--host", uri.Host, "--port", port, "--workerId", workerId, "--requestId", requestId, "--grpcMaxMessageLength", maxLength,
            "--functions-uri", uri.AbsoluteUri, "--functions-worker-id", workerId, "--functions-request-id", requestId,
            "--functions-grpc-max-message-length", maxLength,
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        start.Environment["FUNCTIONS_WORKER_DIRECTORY"] = directory;
        start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = directory;
        start.Environment["AzureWebJobsScriptRoot"] = directory;
        _process = Process.Start(start) ?? throw new InvalidOperationException("the worker did not start");
        LogStarted(logger, _process.Id, workerPath);
        try
        {
            await _process.WaitForExitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        LogExited(logger, _process.ExitCode);
        channel.Fail(new InvalidOperationException($"the worker exited with code {_process.ExitCode}"));
        Environment.ExitCode = _process.ExitCode == 0 ? 1 : _process.ExitCode;
        lifetime.StopApplication();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_process is { HasExited: false })
        {
            channel.Terminate();
            try
            {
                await _process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        await base.StopAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker process {Pid} started ({Path})")]
    private static partial void LogStarted(ILogger logger, int pid, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "The worker exited with code {Code}")]
    private static partial void LogExited(ILogger logger, int code);
}

/// <summary>worker.config.json of the app: which assembly the host starts.</summary>
public static class WorkerConfig
{
    public static string Read(string directory)
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "worker.config.json")));
        return document.RootElement.GetProperty("description").GetProperty("defaultWorkerPath").GetString()!;
    }
}
