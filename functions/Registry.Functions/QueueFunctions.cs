using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Registry.Events;
using Registry.Records;
using Registry.Scanning;
using Registry.Signing;
using Registry.Jobs;

namespace Registry.Functions;

/// <summary>
/// Jobs from Storage Queues, each run as a recorded job (<see cref="JobService"/>). The Functions host retries a failed
/// message and moves it to the poison queue after 5 tries; a job canceled through the API is not retried.
/// </summary>
public sealed class QueueFunctions(ScanService scans, SigningService signing, WebhookService webhooks, Mirroring.MirroringService mirroring, JobService jobs)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>One image scan (Registry:Scan:Queue).</summary>
    [Function(nameof(ScanImage))]
    public async Task ScanImage([QueueTrigger("%Registry:Scan:Queue%")] string message, CancellationToken cancellationToken)
    {
        if (JsonSerializer.Deserialize<ScanJob>(message, Json) is { } job)
        {
            await jobs.RunAsync(JobActions.Scan, job, job.RequestedAt, ct => scans.RunAsync(job, ct), cancellationToken);
        }
    }

    /// <summary>One signing job (Registry:Signing:Queue).</summary>
    [Function(nameof(SignImage))]
    public async Task SignImage([QueueTrigger("%Registry:Signing:Queue%")] string message, CancellationToken cancellationToken)
    {
        if (JsonSerializer.Deserialize<SignJob>(message, Json) is { } job)
        {
            await jobs.RunAsync(JobActions.Sign, job, job.RequestedAt, ct => signing.RunAsync(job, ct), cancellationToken);
        }
    }

    /// <summary>One mirroring job (Registry:Mirroring:Queue): a tag pushed to a remote, or a poll policy run.</summary>
    [Function(nameof(MirrorRepository))]
    public async Task MirrorRepository([QueueTrigger("%Registry:Mirroring:Queue%")] string message, CancellationToken cancellationToken)
    {
        if (JsonSerializer.Deserialize<Mirroring.MirrorJob>(message, Json) is { } job)
        {
            await jobs.RunAsync(job.Tag is null ? JobActions.PollMirror : JobActions.PushMirror, job, job.RequestedAt, ct => mirroring.RunAsync(job, ct), cancellationToken);
        }
    }

    /// <summary>One try of a webhook delivery (Registry:Webhooks:Queue); a failed try is queued again by the service after its backoff.</summary>
    [Function(nameof(DeliverWebhook))]
    public async Task DeliverWebhook([QueueTrigger("%Registry:Webhooks:Queue%")] string message, CancellationToken cancellationToken)
    {
        if (JsonSerializer.Deserialize<WebhookJob>(message, Json) is { } job)
        {
            await jobs.RunAsync(JobActions.Webhook, new { webhookId = job.WebhookId, eventId = job.EventId, type = job.Type, attempt = job.Attempt }, job.Attempt == 1 ? job.CreatedAt : null,
                ct => webhooks.DeliverAsync(job, ct), cancellationToken);
        }
    }
}
