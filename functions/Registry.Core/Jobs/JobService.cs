using System.Text.Json;
using Microsoft.Extensions.Logging;
using Registry.Records;
using Registry.Stores;
using Registry.Telemetry;

namespace Registry.Jobs;

/// <summary>
/// DTR's jobs: every run of background work is recorded (running when it starts; done, errored or canceled when it
/// ends, with what it logged), can be listed and read by system administrators, and a running one can be asked to
/// stop: it is canceled at its next cancellation check, and a canceled queued job is not tried again. Records go after
/// <see cref="Retention"/>. A record that cannot be written (storage down) does not stop the work.
/// </summary>
public sealed partial class JobService(IJobStore store, TimeProvider time, ILogger<JobService> logger)
{
    public const int MaxLogLines = 100;
    public const int MaxLineLength = 250;   // 100 lines fit one table property (32 K characters)

    /// <summary>The longest result kept with a record (one table property); a longer one is dropped.</summary>
    public const int MaxResultLength = 30_000;
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    /// <summary>How often a running job looks for a cancel request.</summary>
    public static readonly TimeSpan CancelCheck = TimeSpan.FromSeconds(2);

    private static readonly AsyncLocal<List<string>?> CurrentLog = new();

    /// <summary>Adds a line to the log of the job running on the current flow, if any (the job log provider's sink).</summary>
    public static void Capture(string line)
    {
        if (CurrentLog.Value is { } log)
        {
            lock (log)
            {
                if (log.Count < MaxLogLines)
                {
                    log.Add(line.Length > MaxLineLength ? line[..MaxLineLength] : line);
                }
            }
        }
    }

    /// <summary>Whether a job runs on the current flow (the log provider captures only then).</summary>
    public static bool Capturing => CurrentLog.Value is not null;

    /// <summary>
    /// Runs <paramref name="work"/> as a job of <paramref name="action"/> about <paramref name="parameters"/>:
    /// recorded, measured (<see cref="RegistryTelemetry.TrackJobAsync"/>; <paramref name="requestedAt"/> is a queued
    /// job's request, for its lag), cancelable. The work's own failure goes up once recorded; a cancel asked for
    /// through the API does not. Returns the record.
    /// </summary>
    public async Task<JobRecord> RunAsync(
        string action, object? parameters, DateTimeOffset? requestedAt, Func<CancellationToken, Task> work, CancellationToken cancellationToken = default)
    {
        var job = NewRecord(action, parameters, requestedAt);
        await TrySaveAsync(job);
        await CompleteAsync(job, requestedAt, async ct =>
        {
            await work(ct);
            return null;
        }, cancellationToken);
        return job;
    }

    /// <summary>
    /// DTR's <c>POST /jobs</c>: records a job of <paramref name="action"/> (an outage fails the call, so an id is never
    /// answered for a job nobody can read), then runs <paramref name="work"/> in the background. Its result is kept
    /// with the record as JSON when it ends. Returns the job's id.
    /// </summary>
    public async Task<string> StartAsync(string action, object? parameters, Func<CancellationToken, Task<object?>> work, CancellationToken cancellationToken = default)
    {
        var job = NewRecord(action, parameters, null);
        await store.SaveAsync(job, cancellationToken);
        _ = Task.Run(async () =>
        {
            try
            {
                await CompleteAsync(job, null, work, CancellationToken.None);
            }
            catch (Exception e)
            {
                LogFailed(logger, job.Id, action, e.Message);   // recorded as errored
            }
        }, CancellationToken.None);
        return job.Id;
    }

    private JobRecord NewRecord(string action, object? parameters, DateTimeOffset? requestedAt)
    {
        var started = time.GetUtcNow();
        return new JobRecord
        {
            Id = SortableId.NewestFirst(started), Action = action, WorkerId = Health.ClusterService.InstanceId, ScheduledAt = requestedAt ?? started, StartedAt = started,
            LastUpdated = started, Parameters = JsonSerializer.Serialize(parameters ?? new { }),
        };
    }

    /// <summary>Runs the work of a recorded job, cancelable, and records how it ended; the work's own failure goes up once recorded.</summary>
    private async Task CompleteAsync(JobRecord job, DateTimeOffset? requestedAt, Func<CancellationToken, Task<object?>> work, CancellationToken cancellationToken)
    {
        var log = new List<string>();
        CurrentLog.Value = log;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopWatching = new CancellationTokenSource();
        var watcher = WatchForCancelAsync(job.Id, cancel, stopWatching.Token);
        try
        {
            object? result = null;
            await RegistryTelemetry.TrackJobAsync(job.Action, requestedAt, async () => result = await work(cancel.Token));
            var json = result is null ? "" : JsonSerializer.Serialize(result);
            job.Result = json.Length <= MaxResultLength ? json : "";
            job.Status = JobRecord.Done;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            job.Status = JobRecord.Canceled;
        }
        catch (Exception e)
        {
            job.Status = JobRecord.Errored;
            job.Error = e.Message;
            throw;
        }
        finally
        {
            await stopWatching.CancelAsync();
            await watcher;
            CurrentLog.Value = null;
            lock (log)
            {
                job.Logs = [.. log];
            }

            job.LastUpdated = time.GetUtcNow();
            await TrySaveAsync(job);
        }
    }

    public Task<JobRecord?> GetOrNullAsync(string id, CancellationToken cancellationToken = default) => store.GetOrNullAsync(id, cancellationToken);

    public Task<IReadOnlyList<JobRecord>> ListAsync(string? action, bool? running, string? start, int limit, CancellationToken cancellationToken = default) =>
        store.ListAsync(action, running, start, limit, cancellationToken);

    /// <summary>Asks a running job to stop; the job as it is now, or null when there is none.</summary>
    public async Task<JobRecord?> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        for (var tries = 0; tries < 5; tries++)
        {
            if (await store.GetOrNullAsync(id, cancellationToken) is not { } job)
            {
                return null;
            }

            if (job.Status != JobRecord.Running)
            {
                return job;
            }

            job.Status = JobRecord.CancelRequest;
            job.LastUpdated = time.GetUtcNow();
            if (await store.UpdateAsync(job, cancellationToken))
            {
                return job;
            }
        }

        return await store.GetOrNullAsync(id, cancellationToken);
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) => store.DeleteAsync(id, cancellationToken);

    /// <summary>Drops records older than <see cref="Retention"/>, a batch at a time (from the every-minute timer).</summary>
    public Task<int> TrimAsync(CancellationToken cancellationToken = default) => store.DeleteOlderAsync(time.GetUtcNow() - Retention, 200, cancellationToken);

    private async Task WatchForCancelAsync(string id, CancellationTokenSource cancel, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(CancelCheck, time, stop);
                if (await store.GetOrNullAsync(id, stop) is { Status: JobRecord.CancelRequest })
                {
                    LogCanceling(logger, id);
                    await cancel.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the job ended first
        }
        catch (Exception e)
        {
            LogNotRecorded(logger, id, e.Message);
        }
    }

    private async Task TrySaveAsync(JobRecord job)
    {
        try
        {
            await store.SaveAsync(job, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogNotRecorded(logger, job.Id, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Id} could not be recorded: {Reason}")]
    private static partial void LogNotRecorded(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Id} ({Action}) failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string id, string action, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Id}: cancel requested; canceling")]
    private static partial void LogCanceling(ILogger logger, string id);
}

/// <summary>Copies what is logged at Information or above on a job's flow into the job's log.</summary>
public sealed class JobLogProvider(TimeProvider time) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new JobLogger(time);

    public void Dispose()
    {
    }

    private sealed class JobLogger(TimeProvider time) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && JobService.Capturing;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var line = $"{time.GetUtcNow():yyyy-MM-dd'T'HH:mm:ss.fff'Z'} {logLevel}: {formatter(state, exception)}";
                JobService.Capture(exception is null ? line : $"{line} ({exception.GetType().Name}: {exception.Message})");
            }
        }
    }
}

/// <summary>The jobs' actions, DTR's names where DTR has the job.</summary>
public static class JobActions
{
    public const string Gc = "onlinegc";
    public const string Prune = "tag_prune";
    public const string UpdateDatabase = "update_vuln_db";
    public const string Scan = "scan_check";
    public const string Sign = "sign";
    public const string Webhook = "webhook";
    public const string CacheMaintenance = "cache_maintenance";
    public const string PushMirror = "push_mirror_tag";
    public const string PollMirror = "poll_mirror";
}
