using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>
/// Creates the blob container and the tables at start-up when missing: before the first request is served, or, with
/// Registry:Storage:CreateBeforeStart off (the deployment made them), in the background while the host serves. Storage
/// that cannot be reached does not stop the host: it starts anyway (requests answer 503 until storage answers), and
/// the creation is tried again in the background until it succeeds.
/// </summary>
public sealed partial class StorageInitializer(StorageClients clients, IOptions<StorageOptions> options, ILogger<StorageInitializer> logger) : IHostedService
{
    /// <summary>
    /// How long background work waits after start-up: the first requests of a cold instance get both cores, and the
    /// storage check and the queue poller (which load and JIT the storage clients) come after them.
    /// </summary>
    public static readonly TimeSpan BackgroundDelay = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.CreateBeforeStart)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(BackgroundDelay, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;   // stopped before the check began
                }

                await CreateAsync(_stopping.Token);
            }, CancellationToken.None);
            return;
        }

        await CreateAsync(cancellationToken);
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await clients.EnsureCreatedAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception e) when (StorageOutage.Is(e))
        {
            LogUnreachable(logger, e.Message);
            _ = StorageOutage.RetryUntilDoneAsync(async ct =>
            {
                await clients.EnsureCreatedAsync(ct);
                LogReachable(logger);
            }, _stopping.Token);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage cannot be reached at start ({Reason}); requests answer 503 until it can")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage reached; the container and tables are in place")]
    private static partial void LogReachable(ILogger logger);
}
