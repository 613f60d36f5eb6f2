using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Registry.Scanning;

namespace Registry.Functions;

/// <summary>Jobs from Storage Queues. The Functions host retries a failed message and moves it to the poison queue after 5 tries.</summary>
public sealed class QueueFunctions(ScanService scans)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>One image scan (Registry:Scan:Queue).</summary>
    [Function(nameof(ScanImage))]
    public async Task ScanImage([QueueTrigger("%Registry:Scan:Queue%")] string message, CancellationToken cancellationToken)
    {
        if (JsonSerializer.Deserialize<ScanJob>(message, Json) is { } job)
        {
            await scans.RunAsync(job, cancellationToken);
        }
    }
}
