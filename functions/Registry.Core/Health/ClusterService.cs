using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Auth;
using Registry.Options;
using Registry.Records;
using Registry.Scanning;
using Registry.Services;
using Registry.Signing;
using Registry.Stores;
using Registry.Telemetry;

namespace Registry.Health;

/// <summary>DTR's cluster status, as this registry has it: instances, storage, queues, timers, database and keys.</summary>
public sealed record ClusterStatus(
    [property: JsonPropertyName("checkedAt")] DateTimeOffset CheckedAt,
    [property: JsonPropertyName("instances")] IReadOnlyList<InstanceSeen> Instances,
    [property: JsonPropertyName("storage")] StorageStatus Storage,
    [property: JsonPropertyName("queues")] IReadOnlyList<QueueDepth> Queues,
    [property: JsonPropertyName("timers")] IReadOnlyList<TimerStatus> Timers,
    [property: JsonPropertyName("vulnerabilityDatabase")] VulnerabilityDatabaseInfo? VulnerabilityDatabase,
    [property: JsonPropertyName("keys")] KeyStatus Keys);

/// <summary>Whether storage answered this instance's health check, and when it was made.</summary>
public sealed record StorageStatus(
    [property: JsonPropertyName("healthy")] bool Healthy,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("checkedAt")] DateTimeOffset CheckedAt);

/// <summary>A timer: its schedule, its last run (none yet: null) and its next.</summary>
public sealed record TimerStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("schedule")] string Schedule,
    [property: JsonPropertyName("lastRun")] TimerRun? LastRun,
    [property: JsonPropertyName("nextRunAt")] DateTimeOffset? NextRunAt);

/// <summary>The ages of the keys the registry holds, and when its signing certificate ends.</summary>
public sealed record KeyStatus(
    [property: JsonPropertyName("tokenKeyCreatedAt")] DateTimeOffset? TokenKeyCreatedAt,
    [property: JsonPropertyName("tokenKeyAgeDays")] double? TokenKeyAgeDays,
    [property: JsonPropertyName("signingCertificateSubject")] string? SigningCertificateSubject,
    [property: JsonPropertyName("signingCertificateNotAfter")] DateTimeOffset? SigningCertificateNotAfter,
    [property: JsonPropertyName("errors")] IReadOnlyList<string> Errors);

/// <summary>
/// What operators read about the whole registry (<c>/api/v0/meta/cluster_status</c>), and what it is made of: each
/// timer's run recorded as it ends, and each instance's heartbeat with the every-minute timer. A part that cannot be
/// read says so in its place; the status itself always answers.
/// </summary>
public sealed partial class ClusterService(
    ISettingsStore settings, IQueueProbe queues, HealthService health, VulnerabilityDatabase database, SigningKeyStore tokenKeys,
    SigningCredentials signing, IOptions<GcOptions> gc, IOptions<PruningOptions> pruning, IOptions<ScanOptions> scan, IOptions<SigningOptions> signingOptions,
    IOptions<WebhookOptions> webhooks, IOptions<EventOptions> events, IOptions<CacheOptions> cache, Jobs.JobService jobs, TimeProvider time,
    ILogger<ClusterService> logger)
{
    /// <summary>An instance not heard from for this long is not listed; after a day its row goes.</summary>
    public static readonly TimeSpan InstanceTimeout = TimeSpan.FromMinutes(3);

    /// <summary>This process: the Functions instance id in Azure, else the machine and process.</summary>
    public static readonly string InstanceId = Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID") is { Length: > 0 } id
        ? id[..Math.Min(id.Length, 64)] : $"{Environment.MachineName}-{Environment.ProcessId}";

    private static readonly DateTimeOffset StartedAt = DateTimeOffset.UtcNow;

    /// <summary>The timers, by function name, with their schedules.</summary>
    public IReadOnlyList<(string Name, string Schedule)> Timers =>
    [
        ("CollectGarbage", gc.Value.Schedule),
        ("PruneTags", pruning.Value.Schedule),
        ("RefreshVulnerabilityDatabase", scan.Value.DatabaseSchedule),
        ("DrainEvents", Events.EventService.DrainSchedule),
        ("FlushCounts", RepositoryCounters.FlushSchedule),
        ("MaintainCache", cache.Value.Schedule),
    ];

    /// <summary>
    /// Runs a timer's work and records its run; the maintenance timers' runs (with a job <paramref name="action"/>)
    /// are jobs of their own, the every-minute ones are measured only. A failure to record is logged, the work's own goes up.
    /// </summary>
    public async Task RunTimerAsync(string name, string? action, Func<CancellationToken, Task> work, CancellationToken cancellationToken = default)
    {
        var started = time.GetUtcNow();
        var watch = Stopwatch.StartNew();
        var outcome = JobRecord.Errored;
        try
        {
            if (action is null)
            {
                await RegistryTelemetry.TrackJobAsync(name, null, () => work(cancellationToken));
                outcome = "done";
            }
            else
            {
                outcome = (await jobs.RunAsync(action, null, null, work, cancellationToken)).Status;
            }
        }
        finally
        {
            try
            {
                await settings.SaveTimerRunAsync(new TimerRun(name, started, outcome, watch.Elapsed.TotalSeconds, InstanceId), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogNotRecorded(logger, name, e.Message);
            }
        }
    }

    /// <summary>Records that this instance runs (with the every-minute timer).</summary>
    public Task HeartbeatAsync(CancellationToken cancellationToken = default) => settings.SaveInstanceAsync(Self(time.GetUtcNow()), cancellationToken);

    private static InstanceSeen Self(DateTimeOffset now) =>
        new(InstanceId, Environment.MachineName, StartedAt, now, typeof(ClusterService).Assembly.GetName().Version?.ToString() ?? "");

    public async Task<ClusterStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var storage = await health.CheckAsync();
        // the instance answering is seen now, whether or not its heartbeat was written yet
        var instances = (await TryAsync(() => settings.ListInstancesAsync(now - InstanceTimeout, now - TimeSpan.FromDays(1), cancellationToken), []))
            .Where(i => i.Id != InstanceId).Prepend(Self(now)).ToList();
        var runs = (await TryAsync(() => settings.ListTimerRunsAsync(cancellationToken), [])).ToDictionary(r => r.Name, StringComparer.Ordinal);
        var timers = Timers.Select(t => new TimerStatus(t.Name, t.Schedule, runs.GetValueOrDefault(t.Name),
            CronSchedule.TryParse(t.Schedule, out var cron) ? cron!.Next(now) : null)).ToList();
        var depths = new List<QueueDepth>();
        foreach (var queue in QueueNames())
        {
            depths.Add(await queues.GetDepthAsync(queue, cancellationToken));
        }

        var info = await TryAsync(() => database.GetInfoAsync(cancellationToken), null);
        return new ClusterStatus(now, instances, new StorageStatus(storage.Healthy, storage.Error, storage.CheckedAt), depths, timers, info, await KeysAsync(now, cancellationToken));
    }

    private IEnumerable<string> QueueNames()
    {
        yield return scan.Value.Queue;
        yield return signingOptions.Value.Queue;
        yield return webhooks.Value.Queue;
        if (string.Equals(events.Value.Publisher, "queue", StringComparison.OrdinalIgnoreCase))
        {
            yield return events.Value.Queue;
        }
    }

    private async Task<KeyStatus> KeysAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        DateTimeOffset? tokenKey = null;
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null;
        try
        {
            tokenKey = await tokenKeys.GetNewestCreatedAtAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            errors.Add($"token signing keys: {e.Message}");
        }

        try
        {
            certificate = (await signing.GetAsync(cancellationToken)).Certificate;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            errors.Add($"image signing certificate: {e.Message}");
        }

        return new KeyStatus(tokenKey, tokenKey is { } created ? Math.Round((now - created).TotalDays, 2) : null, certificate?.Subject,
            certificate is null ? null : new DateTimeOffset(certificate.NotAfter.ToUniversalTime()), errors);
    }

    private async Task<T> TryAsync<T>(Func<Task<T>> read, T fallback)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogPartMissing(logger, e.Message);
            return fallback;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The run of timer {Name} could not be recorded: {Reason}")]
    private static partial void LogNotRecorded(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A part of the cluster status could not be read: {Reason}")]
    private static partial void LogPartMissing(ILogger logger, string reason);
}
