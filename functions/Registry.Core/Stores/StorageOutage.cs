using System.Net.Sockets;

namespace Registry.Stores;

/// <summary>
/// Storage cannot be reached or does not answer (as opposed to a refusal of one request): a store's retries are
/// exhausted on a refused or dropped connection, a timeout or a 5xx answer. Stores throw it; requests answer 503 with
/// Retry-After, and background loops wait and try again.
/// </summary>
public sealed class StorageUnavailableException(string message, Exception? inner) : Exception(message, inner);

/// <summary>Telling an outage from a refusal, and waiting one out.</summary>
public static class StorageOutage
{
    /// <summary>Seconds a client is asked to wait before it tries again.</summary>
    public const int RetryAfterSeconds = 10;

    private static readonly TimeSpan MaximumDelay = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="work"/> until it succeeds, waiting 1 s, 2 s, 4 s … (at most 30 s) after each outage.</summary>
    public static async Task RetryUntilDoneAsync(Func<CancellationToken, Task> work, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, stoppingToken);
                await work(stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (Is(e))
            {
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaximumDelay.Ticks));
            }
        }
    }

    public static bool Is(Exception exception) => exception switch
    {
        StorageUnavailableException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(Is),
        HttpRequestException or SocketException or TimeoutException => true,
        TaskCanceledException canceled => canceled.InnerException is TimeoutException,
        _ => false,
    };
}
