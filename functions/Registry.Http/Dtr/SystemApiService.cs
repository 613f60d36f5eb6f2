using System.Text.Json;
using Registry.Auth;
using Registry.Services;

namespace Registry.Dtr;

/// <summary>
/// Registry-wide maintenance through /api/v0, for system administrators: the online GC cron (DTR's <c>/crons</c>,
/// action <c>onlinegc</c>) and running it now (DTR's <c>/jobs</c>), dry or not.
/// </summary>
public sealed class SystemApiService(GcService gc)
{
    public const string GcAction = "onlinegc";

    public async Task<IReadOnlyList<CronView>> ListCronsAsync(Principal principal, CancellationToken cancellationToken = default)
    {
        return [View(await gc.GetSettingsAsync(cancellationToken))];
    }

    public async Task<CronView> GetCronAsync(Principal principal, string action, CancellationToken cancellationToken = default)
    {
        RequireGc(action);
        return View(await gc.GetSettingsAsync(cancellationToken));
    }

    public async Task<CronView> UpdateCronAsync(Principal principal, string action, CronUpdate body, CancellationToken cancellationToken = default)
    {
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

    /// <summary>Runs GC now and answers with its report (DTR's job, finished).</summary>
    public async Task<JobView> RunJobAsync(Principal principal, JobCreate body, CancellationToken cancellationToken = default)
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
        var report = await gc.RunNowAsync(dryRun, cancellationToken);
        return new JobView(Guid.NewGuid().ToString("N"), GcAction, "done", report.StartedAt, report.FinishedAt, report);
    }

    private static readonly string[] ParameterNames = ["manifestGracePeriod", "blobGracePeriod", "uploadLifetime"];

    /// <summary>A Go duration from the body: null when absent, "" to return to configuration.</summary>
    private static string? Duration(string name, string? value) =>
        value is null or "" || GoDuration.Parse(value) is { } parsed && parsed > TimeSpan.Zero && parsed <= TimeSpan.FromDays(3650)
            ? value
            : throw new DtrException(DtrError.InvalidParameter, $"{name} must be a positive Go duration such as 30m or 24h");

    private static CronView View(GcSettings settings) => new(
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

    private static void RequireGc(string action)
    {
        if (action != GcAction)
        {
            throw new DtrException(DtrError.NotFound, $"no cron {action}; this registry has {GcAction}");
        }
    }
}
