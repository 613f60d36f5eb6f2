using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Cronos;
using Registry.FunctionsHost.Rpc;

namespace Registry.FunctionsHost;

/// <summary>
/// Timer and queue triggers as the Functions host fires them: invocation requests with the trigger's input
/// (TimerInfo JSON; the queue message as a string with its metadata), on the function's six-field CRON schedule
/// and by polling its Storage Queue (host.json's extensions.queues: batch size, visibility timeout after a failure,
/// poison queue after maxDequeueCount tries). <c>POST /admin/functions/&lt;name&gt;</c> fires one at once, as the
/// host's admin API does.
/// </summary>
public sealed partial class NonHttpTriggers(WorkerChannel channel, IConfiguration configuration, ILogger<NonHttpTriggers> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IReadOnlyList<FunctionInfo> functions;
        try
        {
            functions = await channel.Ready.WaitAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return;
        }

        await Task.WhenAll(functions.Select(f => f.Trigger.Type switch
        {
            "timerTrigger" => RunTimerAsync(f, stoppingToken),
            "queueTrigger" => PollQueueAsync(f, stoppingToken),
            _ => Task.CompletedTask,
        }));
    }

    /// <summary>Fires a timer or queue function once (the admin API's <c>{"input": "..."}</c> is the queue message).</summary>
    public Task<InvocationResponse> FireAsync(FunctionInfo function, string? input, CancellationToken cancellationToken) =>
        function.Trigger.Type == "queueTrigger"
            ? InvokeQueueAsync(function, input ?? "", new Dictionary<string, TypedData>(), cancellationToken)
            : InvokeTimerAsync(function, cancellationToken);

    private async Task RunTimerAsync(FunctionInfo function, CancellationToken stoppingToken)
    {
        var schedule = CronExpression.Parse(function.Trigger.Property("schedule")!, CronFormat.IncludeSeconds);
        var previous = DateTimeOffset.UtcNow;
        while (!stoppingToken.IsCancellationRequested && schedule.GetNextOccurrence(previous, TimeZoneInfo.Utc) is { } next)
        {
            while (DateTimeOffset.UtcNow < next)
            {
                await Task.Delay(next - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(5), stoppingToken);
            }

            var response = await InvokeTimerAsync(function, stoppingToken);
            Report(function, response);
            previous = next;
        }
    }

    private Task<InvocationResponse> InvokeTimerAsync(FunctionInfo function, CancellationToken cancellationToken)
    {
        var timer = JsonSerializer.Serialize(new { Schedule = new { AdjustForDST = true }, ScheduleStatus = (object?)null, IsPastDue = false });
        return channel.InvokeAsync(function, Guid.NewGuid().ToString(),
            [new ParameterBinding { Name = function.Trigger.Name, Data = new TypedData { Json = timer } }],
            new Dictionary<string, TypedData>(), cancellationToken);
    }

    private Task<InvocationResponse> InvokeQueueAsync(FunctionInfo function, string body, IDictionary<string, TypedData> metadata,
        CancellationToken cancellationToken) =>
        channel.InvokeAsync(function, Guid.NewGuid().ToString(),
            [new ParameterBinding { Name = function.Trigger.Name, Data = new TypedData { String = body } }], metadata, cancellationToken);

    private async Task PollQueueAsync(FunctionInfo function, CancellationToken stoppingToken)
    {
        var settings = QueueSettings.Read(configuration["AzureWebJobsScriptRoot"]!);
        var connection = configuration[function.Trigger.Property("connection") is { Length: > 0 } name ? name : "AzureWebJobsStorage"];
        var queueName = function.Trigger.Property("queueName")!;
        var options = new QueueClientOptions { MessageEncoding = settings.MessageEncoding };
        var queue = new QueueClient(connection, queueName, options);
        var poison = new QueueClient(connection, queueName + "-poison", options);
        var idle = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                messages = (await queue.ReceiveMessagesAsync(settings.BatchSize, TimeSpan.FromMinutes(10), stoppingToken)).Value;
            }
            catch (RequestFailedException e)
            {
                LogPollFailed(logger, queueName, e.Message);
                messages = [];
            }

            try
            {
                await Task.WhenAll(messages.Select(m => HandleAsync(function, queue, poison, m, settings, stoppingToken)));
            }
            catch (RequestFailedException e)
            {
                // A message that could not be settled comes back when its lease ends.
                LogPollFailed(logger, queueName, e.Message);
            }

            idle = messages.Length > 0 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            if (messages.Length == 0)
            {
                await Task.Delay(idle, stoppingToken);
            }
        }
    }

    private async Task HandleAsync(FunctionInfo function, QueueClient queue, QueueClient poison, QueueMessage message, QueueSettings settings,
        CancellationToken stoppingToken)
    {
        var metadata = new Dictionary<string, TypedData>
        {
            ["Id"] = new() { String = message.MessageId },
            ["DequeueCount"] = new() { Json = message.DequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["PopReceipt"] = new() { String = message.PopReceipt },
            ["InsertionTime"] = new() { Json = JsonSerializer.Serialize(message.InsertedOn) },
            ["ExpirationTime"] = new() { Json = JsonSerializer.Serialize(message.ExpiresOn) },
            ["NextVisibleTime"] = new() { Json = JsonSerializer.Serialize(message.NextVisibleOn) },
        };
        if (message.DequeueCount > settings.MaxDequeueCount)
        {
            // Received more often than tried: a host stopped while it held the message.
            await MoveToPoisonAsync(queue, poison, message, stoppingToken);
            return;
        }

        var response = await InvokeQueueAsync(function, message.Body.ToString(), metadata, stoppingToken);
        Report(function, response);
        if (response.Result.Status == StatusResult.Types.Status.Success)
        {
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken);
        }
        else if (message.DequeueCount >= settings.MaxDequeueCount)
        {
            await MoveToPoisonAsync(queue, poison, message, stoppingToken);
        }
        else
        {
            await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: stoppingToken);
        }
    }

    private static async Task MoveToPoisonAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        await poison.SendMessageAsync(message.Body, cancellationToken: stoppingToken);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken);
    }

    private void Report(FunctionInfo function, InvocationResponse response)
    {
        if (response.Result.Status == StatusResult.Types.Status.Success)
        {
            LogExecuted(logger, function.Name);
        }
        else
        {
            LogFailed(logger, function.Name, response.Result.Exception?.Message ?? response.Result.Result);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Executed {Name} (Succeeded)")]
    private static partial void LogExecuted(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Executed {Name} (Failed): {Message}")]
    private static partial void LogFailed(ILogger logger, string name, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling queue {Queue} failed: {Message}")]
    private static partial void LogPollFailed(ILogger logger, string queue, string message);
}

/// <summary>host.json's <c>extensions.queues</c>, with the Functions host's defaults (messages are base64 unless it says "none").</summary>
public sealed record QueueSettings(int BatchSize, TimeSpan VisibilityTimeout, int MaxDequeueCount, QueueMessageEncoding MessageEncoding)
{
    public static QueueSettings Read(string directory)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "host.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var queues = document.RootElement.TryGetProperty("extensions", out var e) && e.TryGetProperty("queues", out var q) ? q : default;
        int Int(string name, int fallback) => queues.ValueKind == JsonValueKind.Object && queues.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;
        var visibility = queues.ValueKind == JsonValueKind.Object && queues.TryGetProperty("visibilityTimeout", out var t)
            ? TimeSpan.Parse(t.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : TimeSpan.Zero;
        var encoding = queues.ValueKind == JsonValueKind.Object && queues.TryGetProperty("messageEncoding", out var m)
            && string.Equals(m.GetString(), "none", StringComparison.OrdinalIgnoreCase)
                ? QueueMessageEncoding.None
                : QueueMessageEncoding.Base64;
        return new QueueSettings(Int("batchSize", 16), visibility, Int("maxDequeueCount", 5), encoding);
    }
}
