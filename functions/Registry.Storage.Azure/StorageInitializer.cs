using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>
/// Creates the blob container and the tables at start-up, before the first request is served. Storage that cannot
/// be reached does not stop the host: it starts anyway (requests answer 503 until storage answers), and the creation
/// is tried again in the background until it succeeds.
/// </summary>
public sealed partial class StorageInitializer(StorageClients clients, ILogger<StorageInitializer> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await clients.EnsureCreatedAsync(cancellationToken);
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
