using Azure;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>How a queue is worked off, as the Functions host's queue trigger does it (host.json's <c>extensions.queues</c>).</summary>
public sealed record QueuePolling(int BatchSize, TimeSpan VisibilityTimeout, int MaxDequeueCount);

/// <summary>
/// A queue trigger for a host without the Functions host (the standalone host): it polls one Storage Queue and hands
/// each message to <paramref name="handle"/>, backing off while the queue is empty. It follows the trigger's
/// settings: <c>BatchSize</c> messages at a time; a failed message comes back after <c>VisibilityTimeout</c>; after
/// <c>MaxDequeueCount</c> tries it goes to the poison queue (<c>&lt;queue&gt;-poison</c>).
/// </summary>
public sealed partial class QueuePoller(
    StorageClients clients, string queueName, QueuePolling settings, Func<string, CancellationToken, Task> handle, ILogger<QueuePoller> logger)
    : BackgroundService
{
    // How long a message being processed stays invisible to other instances (the Functions host's 10 minutes).
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);
    // An empty queue is polled again after 100 ms, then less often, up to every 2 s; a message resets the wait.
    private static readonly TimeSpan MinimumIdleDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaximumIdleDelay = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start-up path: the host serves its first requests before the poller makes its clients and first call.
        await Task.Delay(StorageInitializer.BackgroundDelay, stoppingToken);
        Azure.Storage.Queues.QueueClient queue, poison;
        try
        {
            queue = clients.Queue(queueName);
            poison = clients.Queue(queueName + "-poison");
        }
        catch (InvalidOperationException e)
        {
            LogNoQueues(logger, e.Message);
            return;
        }

        var idle = MinimumIdleDelay;
        var unreachable = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                messages = (await queue.ReceiveMessagesAsync(Math.Min(settings.BatchSize, 32), Lease, stoppingToken)).Value;
                unreachable = false;
            }
            catch (Exception e) when (e is RequestFailedException || StorageOutage.Is(e))
            {
                // Logged once per outage; the loop backs off and tries again, the host stays up.
                if (!unreachable)
                {
                    LogPollFailed(logger, e);
                }

                unreachable = true;
                messages = [];
            }

            foreach (var message in messages)
            {
                await HandleAsync(queue, poison, message, stoppingToken);
            }

            if (messages.Length == 0)
            {
                await Task.Delay(idle, stoppingToken);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, MaximumIdleDelay.Ticks));
            }
            else
            {
                idle = MinimumIdleDelay;
            }
        }
    }

    private async Task HandleAsync(Azure.Storage.Queues.QueueClient queue, Azure.Storage.Queues.QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        // More receives than tries means an instance stopped while it held the message: given up on, as the Functions host does.
        var exhausted = message.DequeueCount > settings.MaxDequeueCount;
        var succeeded = !exhausted && await RunAsync(message, stoppingToken);
        try
        {
            if (succeeded)
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken);
            }
            else if (exhausted || message.DequeueCount >= settings.MaxDequeueCount)
            {
                await MoveToPoisonAsync(queue, poison, message, stoppingToken);
            }
            else
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: stoppingToken);
            }
        }
        catch (Exception e) when (e is RequestFailedException || StorageOutage.Is(e))
        {
            // Storage failed: the message comes back when its lease ends.
            LogPollFailed(logger, e);
        }
    }

    private async Task<bool> RunAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            await handle(message.Body.ToString(), stoppingToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e, message.MessageId, message.DequeueCount);
            return false;
        }
    }

    private static async Task MoveToPoisonAsync(Azure.Storage.Queues.QueueClient queue, Azure.Storage.Queues.QueueClient poison, QueueMessage message,
        CancellationToken stoppingToken)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        await poison.SendMessageAsync(message.Body, cancellationToken: stoppingToken);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Queue jobs will not run: {Reason}")]
    private static partial void LogNoQueues(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A queue could not be read or updated")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Queue message {Id} failed (try {Count})")]
    private static partial void LogFailed(ILogger logger, Exception exception, string id, long count);
}
