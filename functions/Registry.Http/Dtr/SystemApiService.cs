using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Auth;
using Registry.Options;
using Registry.Services;

namespace Registry.Dtr;

/// <summary>
/// Registry-wide maintenance through /api/v0, for system administrators: the online GC cron (DTR's <c>/crons</c>,
/// action <c>onlinegc</c>), running it now (DTR's <c>POST /jobs</c>), dry or not, and the jobs of every kind: listed,
/// read, their logs, canceled, deleted.
/// </summary>
public sealed class SystemApiService(
    GcService gc, Jobs.JobService jobs, Audit.AuditService audit, IOptions<PruningOptions> pruning, IOptions<ScanOptions> scan, TimeProvider time)
{
    public const string GcAction = Jobs.JobActions.Gc;

    /// <summary>Every timer that runs maintenance: GC (its settings changeable here), tag pruning and the database refresh (their schedules the deployment's).</summary>
    public async Task<CronListView> ListCronsAsync(Principal principal, CancellationToken cancellationToken = default) =>
        new([View(await gc.GetSettingsAsync(cancellationToken)), PruningCron(), DatabaseCron()]);

    public async Task<CronView> GetCronAsync(Principal principal, string action, CancellationToken cancellationToken = default) => action switch
    {
        GcAction => View(await gc.GetSettingsAsync(cancellationToken)),
        Jobs.JobActions.Prune => PruningCron(),
        Jobs.JobActions.UpdateDatabase => DatabaseCron(),
        _ => throw NoSuchCron(action),
    };

    public async Task<CronView> UpdateCronAsync(Principal principal, string action, CronUpdate body, CancellationToken cancellationToken = default)
    {
        if (action is Jobs.JobActions.Prune or Jobs.JobActions.UpdateDatabase)
        {
            throw new DtrException(DtrError.InvalidParameter,
                $"{action} runs on the deployment's schedule (Registry:Pruning:Schedule, Registry:Scan:DatabaseSchedule); only {GcAction} has settings here");
        }

        RequireGc(action);
        if (body.Action is { } named && named != GcAction)
        {
            throw new DtrException(DtrError.InvalidParameter, $"action must be {GcAction}");
        }

        var current = await gc.GetSettingsAsync(cancellationToken);
        if (body.Schedule is { } schedule && schedule != current.Schedule)
        {
            throw new DtrException(DtrError.InvalidParameter,
                $"the schedule is the deployment's setting Registry:Gc:Schedule ({current.Schedule}); set enabled to false to stop the timer's runs");
        }

        var parameters = body.Parameters ?? new Dictionary<string, string>();
        if (parameters.Keys.FirstOrDefault(k => !ParameterNames.Contains(k)) is { } unknown)
        {
            throw new DtrException(DtrError.InvalidParameter, $"unknown parameter {unknown}; known: {string.Join(", ", ParameterNames)}");
        }

        var saved = await gc.SaveSettingsAsync(
            body.Enabled,
            Duration("deadline", body.Deadline),
            Duration("manifestGracePeriod", parameters.GetValueOrDefault("manifestGracePeriod")),
            Duration("blobGracePeriod", parameters.GetValueOrDefault("blobGracePeriod")),
            Duration("uploadLifetime", parameters.GetValueOrDefault("uploadLifetime")),
            cancellationToken);
        return View(saved);
    }

    /// <summary>
    /// Starts GC now, dry or not, as DTR does: the job answered at once (running), its report kept as the job's
    /// <c>result</c> when it ends (the summary without the removed items when the whole report is too long to keep).
    /// </summary>
    public async Task<JobRecordView> RunJobAsync(Principal principal, JobCreate body, CancellationToken cancellationToken = default)
    {
        if (body.Action != GcAction)
        {
            throw new DtrException(DtrError.InvalidParameter, $"action must be {GcAction}");
        }

        var dryRun = body.Parameters?.GetValueOrDefault("dryRun") is { } value && value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(value.GetString(), out var parsed) => parsed,
            _ => throw new DtrException(DtrError.InvalidParameter, "dryRun must be true or false"),
        };
        var id = await jobs.StartAsync(GcAction, new { dryRun }, async ct =>
        {
            var report = await gc.RunNowAsync(dryRun, ct);
            return JsonSerializer.Serialize(report).Length <= Jobs.JobService.MaxResultLength ? report : report.Summary();
        }, cancellationToken);
        return await GetJobAsync(id, cancellationToken);
    }

    /// <summary>Jobs newest first: of one action, running or finished only, from the id <paramref name="start"/>.</summary>
    public async Task<JobListView> ListJobsAsync(string? action, string? running, string? start, int limit, CancellationToken cancellationToken = default)
    {
        bool? onlyRunning = running switch
        {
            null or "" => null,
            _ when bool.TryParse(running, out var parsed) => parsed,
            _ => throw new DtrException(DtrError.InvalidParameter, "running must be true or false"),
        };
        return new JobListView((await jobs.ListAsync(action, onlyRunning, CheckStart(start), limit, cancellationToken)).Select(View).ToList());
    }

    /// <summary>The registry's audit log, newest first, from the entry id <paramref name="start"/>.</summary>
    public async Task<AuditListView> ListAuditAsync(string? start, int limit, CancellationToken cancellationToken = default) =>
        new(await audit.ListAsync(null, CheckStart(start), limit, cancellationToken));

    /// <summary>A paging start: an id the log or the jobs gave.</summary>
    internal static string? CheckStart(string? start) =>
        start is null || Records.SortableId.IsValid(start) ? start : throw new DtrException(DtrError.InvalidParameter, "start must be an id from an earlier page");

    public async Task<JobRecordView> GetJobAsync(string id, CancellationToken cancellationToken = default) =>
        View(await RequireJobAsync(id, cancellationToken));

    /// <summary>Asks a running job to stop (202 with the job); a finished one is answered as it is.</summary>
    public async Task<JobRecordView> CancelJobAsync(string id, CancellationToken cancellationToken = default) =>
        View(await jobs.CancelAsync(CheckJobId(id), cancellationToken) ?? throw NoSuchJob(id));

    public async Task DeleteJobAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!await jobs.DeleteAsync(CheckJobId(id), cancellationToken))
        {
            throw NoSuchJob(id);
        }
    }

    /// <summary>A job's log lines from <paramref name="offset"/> (written when the job ends).</summary>
    public async Task<IReadOnlyList<JobLogLine>> GetJobLogsAsync(string id, int offset, int limit, CancellationToken cancellationToken = default)
    {
        var job = await RequireJobAsync(id, cancellationToken);
        return job.Logs.Select((line, i) => new JobLogLine(i, line)).Skip(Math.Max(0, offset)).Take(limit).ToList();
    }

    private async Task<Records.JobRecord> RequireJobAsync(string id, CancellationToken cancellationToken) =>
        await jobs.GetOrNullAsync(CheckJobId(id), cancellationToken) ?? throw NoSuchJob(id);

    private static string CheckJobId(string id) => Records.SortableId.IsValid(id) ? id : throw NoSuchJob(id);

    private static DtrException NoSuchJob(string id) => new(DtrError.NoSuchJob, $"there is no job {(id.Length > 40 ? id[..40] : id)}");

    private static JobRecordView View(Records.JobRecord job) => new(job.Id, job.WorkerId, job.Status, job.ScheduledAt, job.LastUpdated, job.Action,
        JsonDocument.Parse(job.Parameters).RootElement.Clone(), job.StartedAt, job.Error)
    {
        Result = job.Result.Length > 0 ? JsonDocument.Parse(job.Result).RootElement.Clone() : null,
    };

    private static readonly string[] ParameterNames = ["manifestGracePeriod", "blobGracePeriod", "uploadLifetime"];

    /// <summary>A Go duration from the body: null when absent, "" to return to configuration.</summary>
    private static string? Duration(string name, string? value) =>
        value is null or "" || GoDuration.Parse(value) is { } parsed && parsed > TimeSpan.Zero && parsed <= TimeSpan.FromDays(3650)
            ? value
            : throw new DtrException(DtrError.InvalidParameter, $"{name} must be a positive Go duration such as 30m or 24h");

    private CronView View(GcSettings settings) => Cron(
        GcAction,
        settings.Schedule,
        settings.Enabled,
        GoDuration.Format(settings.Deadline),
        new Dictionary<string, string>
        {
            ["manifestGracePeriod"] = GoDuration.Format(settings.ManifestGracePeriod),
            ["blobGracePeriod"] = GoDuration.Format(settings.BlobGracePeriod),
            ["uploadLifetime"] = GoDuration.Format(settings.UploadLifetime),
            ["touchInterval"] = GoDuration.Format(settings.TouchInterval),
        },
        settings.LastRun);

    private CronView PruningCron() => Cron(Jobs.JobActions.Prune, pruning.Value.Schedule, true, "", new Dictionary<string, string>(), null);

    /// <summary>The database refresh runs only with an address to fetch from.</summary>
    private CronView DatabaseCron() => Cron(Jobs.JobActions.UpdateDatabase, scan.Value.DatabaseSchedule, scan.Value.DatabaseUrl is not null, "",
        new Dictionary<string, string>(), null);

    /// <summary>A cron in DTR's shape: its id derived from the action; its next run the schedule's next slot (none when switched off).</summary>
    private CronView Cron(string action, string schedule, bool enabled, string deadline, IReadOnlyDictionary<string, string> parameters, GcReport? lastRun)
    {
        var id = new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("cron:" + action)).AsSpan(0, 16)).ToString();
        var next = enabled && CronSchedule.TryParse(schedule, out var parsed) ? parsed!.Next(time.GetUtcNow()) : null;
        return new CronView(id, action, schedule, 0, new Dictionary<string, int>(), parameters, deadline, "", GoTime.Format(next), enabled, lastRun);
    }

    private static void RequireGc(string action)
    {
        if (action != GcAction)
        {
            throw NoSuchCron(action);
        }
    }

    private static DtrException NoSuchCron(string action) => new(DtrError.NotFound,
        $"no cron {(action.Length > 40 ? action[..40] : action)}; this registry has {GcAction}, {Jobs.JobActions.Prune}, {Jobs.JobActions.UpdateDatabase}");
}
