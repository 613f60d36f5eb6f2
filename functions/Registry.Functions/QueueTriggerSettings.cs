using System.Globalization;
using System.Text.Json;
using Registry.Storage;

namespace Registry.Functions;

/// <summary>
/// The queue settings of host.json (<c>extensions.queues</c>), which the Functions host applies to the queue
/// trigger; the standalone host reads the same file, so that both retry and give up alike.
/// </summary>
public static class QueueTriggerSettings
{
    /// <summary>The Functions host's defaults, for what host.json leaves out.</summary>
    public static readonly QueuePolling Defaults = new(16, TimeSpan.Zero, 5);

    /// <summary>Reads host.json next to the app (copied to the output with it).</summary>
    public static QueuePolling Read(string directory)
    {
        var path = Path.Combine(directory, "host.json");
        if (!File.Exists(path))
        {
            return Defaults;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (!document.RootElement.TryGetProperty("extensions", out var extensions) || !extensions.TryGetProperty("queues", out var queues))
        {
            return Defaults;
        }

        return new QueuePolling(
            queues.TryGetProperty("batchSize", out var batch) ? batch.GetInt32() : Defaults.BatchSize,
            queues.TryGetProperty("visibilityTimeout", out var visibility)
                ? TimeSpan.Parse(visibility.GetString()!, CultureInfo.InvariantCulture)
                : Defaults.VisibilityTimeout,
            queues.TryGetProperty("maxDequeueCount", out var max) ? max.GetInt32() : Defaults.MaxDequeueCount);
    }
}
