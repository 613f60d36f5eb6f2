using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Registry.Telemetry;

/// <summary>
/// The registry's traces and metrics, one <see cref="ActivitySource"/> and one <see cref="Meter"/> named
/// <see cref="Name"/>: the hosts export them (Azure Monitor, Prometheus text), the code only records. Metric names
/// follow OpenTelemetry's conventions (dots; units in the instrument).
/// </summary>
public static class RegistryTelemetry
{
    public const string Name = "Registry";

    /// <summary>Where a dispatcher leaves the name of the route it matched, for the request's span and metrics.</summary>
    public const string RouteItem = "registry.route";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("registry.http.requests", "{request}", "Requests served, by API, route and status");
    private static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>("registry.http.request.duration", "s",
        "Time to serve a request, by API, route and status (blob uploads and pulls are their routes)");
    private static readonly Counter<long> BytesIn = Meter.CreateCounter<long>("registry.http.request.body.size", "By", "Request body bytes, by API and route");
    private static readonly Counter<long> BytesOut = Meter.CreateCounter<long>("registry.http.response.body.size", "By", "Response body bytes served by the app, by API and route");
    private static readonly Histogram<long> StorageCalls = Meter.CreateHistogram<long>("registry.storage.calls", "{call}", "Storage requests per API request, by API and route");
    private static readonly Histogram<double> QueueLag = Meter.CreateHistogram<double>("registry.queue.lag", "s", "From a job's request to its start, by queue");
    private static readonly Counter<long> Jobs = Meter.CreateCounter<long>("registry.jobs", "{job}", "Background jobs run, by kind and outcome");
    private static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("registry.job.duration", "s", "Time a background job took, by kind and outcome");
    private static readonly Counter<long> GcDeleted = Meter.CreateCounter<long>("registry.gc.deleted", "{item}", "What GC removed, by kind (manifests, blobs, uploads)");
    private static readonly Counter<long> GcBytes = Meter.CreateCounter<long>("registry.gc.freed", "By", "Content bytes GC removed");
    private static readonly Counter<long> Events = Meter.CreateCounter<long>("registry.events.published", "{event}", "Events taken by the publisher from the outbox");
    private static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("registry.webhook.deliveries", "{delivery}", "Webhook delivery tries, by outcome");
    private static readonly Histogram<double> DeliveryDuration = Meter.CreateHistogram<double>("registry.webhook.duration", "s", "Time of a webhook delivery try, by outcome");

    /// <summary>One API request served.</summary>
    public static void RecordRequest(string api, string route, int status, TimeSpan duration, long bytesIn, long bytesOut, long storageCalls)
    {
        var tags = new TagList { { "api", api }, { "route", route }, { "status", status } };
        Requests.Add(1, tags);
        RequestDuration.Record(duration.TotalSeconds, tags);
        var byRoute = new TagList { { "api", api }, { "route", route } };
        BytesIn.Add(bytesIn, byRoute);
        BytesOut.Add(bytesOut, byRoute);
        StorageCalls.Record(storageCalls, byRoute);
    }

    /// <summary>
    /// Runs one background job (a scan, a signing, a webhook delivery, a timer's work) in a span of its own, and
    /// records how it ended, how long it took and, for a queued job, how long it waited since <paramref name="requestedAt"/>.
    /// </summary>
    public static async Task TrackJobAsync(string kind, DateTimeOffset? requestedAt, Func<Task> run)
    {
        if (requestedAt is { } requested)
        {
            QueueLag.Record(Math.Max(0, (DateTimeOffset.UtcNow - requested).TotalSeconds), new TagList { { "queue", kind } });
        }

        using var activity = Source.StartActivity($"job {kind}");
        var watch = Stopwatch.StartNew();
        var outcome = "failed";
        try
        {
            await run();
            outcome = "done";
        }
        finally
        {
            activity?.SetTag("registry.job.outcome", outcome);
            var tags = new TagList { { "kind", kind }, { "outcome", outcome } };
            Jobs.Add(1, tags);
            JobDuration.Record(watch.Elapsed.TotalSeconds, tags);
        }
    }

    public static void RecordGc(long manifests, long blobs, long uploads, long bytes)
    {
        GcDeleted.Add(manifests, new TagList { { "kind", "manifests" } });
        GcDeleted.Add(blobs, new TagList { { "kind", "blobs" } });
        GcDeleted.Add(uploads, new TagList { { "kind", "uploads" } });
        GcBytes.Add(bytes);
    }

    public static void RecordEventsPublished(int count) => Events.Add(count);

    public static void RecordDelivery(string outcome, TimeSpan duration)
    {
        var tags = new TagList { { "outcome", outcome } };
        Deliveries.Add(1, tags);
        DeliveryDuration.Record(duration.TotalSeconds, tags);
    }
}
