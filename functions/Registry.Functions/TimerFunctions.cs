using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Registry.Events;
using Registry.Health;
using Registry.Jobs;
using Registry.Scanning;
using Registry.Services;

namespace Registry.Functions;

/// <summary>Maintenance on timers; each schedule is a six-field CRON expression from settings.</summary>
public sealed partial class TimerFunctions(
    PruningService pruning, GcService gc, ScanService scans, EventService events, RepositoryCounters counters, ClusterService cluster, JobService jobs,
    Caching.CacheMaintenance cacheMaintenance, Mirroring.MirroringPolicyService mirroring, ILogger<TimerFunctions> logger)
{
    /// <summary>Adds this instance's pull and push counts to the stored ones (a fixed schedule: every minute).</summary>
    [Function(nameof(FlushCounts))]
    public async Task FlushCounts([TimerTrigger(RepositoryCounters.FlushSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        await cluster.RunTimerAsync(nameof(FlushCounts), null, async ct =>
        {
            await cluster.HeartbeatAsync(ct);
            await counters.FlushAsync(ct);
            await jobs.TrimAsync(ct);
        }, cancellationToken);

    /// <summary>Publishes the events the outbox still holds (a fixed schedule: every minute).</summary>
    [Function(nameof(DrainEvents))]
    public async Task DrainEvents([TimerTrigger(EventService.DrainSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        await cluster.RunTimerAsync(nameof(DrainEvents), null, async ct =>
        {
            if (await events.HasConsumersAsync(ct))
            {
                await events.DrainAsync(ct);
            }
        }, cancellationToken);

    /// <summary>Tag pruning by every repository's pruning policies (Registry:Pruning:Schedule).</summary>
    [Function(nameof(PruneTags))]
    public async Task PruneTags([TimerTrigger("%Registry:Pruning:Schedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        await cluster.RunTimerAsync(nameof(PruneTags), JobActions.Prune, async ct =>
        {
            var removed = await pruning.PruneAllAsync(ct);
            LogPruned(logger, removed, timer.IsPastDue);
        }, cancellationToken);

    /// <summary>Online garbage collection (Registry:Gc:Schedule), unless a system administrator switched it off.</summary>
    [Function(nameof(CollectGarbage))]
    public async Task CollectGarbage([TimerTrigger("%Registry:Gc:Schedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        await cluster.RunTimerAsync(nameof(CollectGarbage), JobActions.Gc, async ct =>
        {
            if (await gc.RunScheduledAsync(ct) is null)
            {
                LogGcOff(logger);
            }
        }, cancellationToken);

    /// <summary>The online refresh of the vulnerability database (Registry:Scan:DatabaseSchedule), when an address is set.</summary>
    [Function(nameof(RefreshVulnerabilityDatabase))]
    public async Task RefreshVulnerabilityDatabase([TimerTrigger("%Registry:Scan:DatabaseSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        await cluster.RunTimerAsync(nameof(RefreshVulnerabilityDatabase), JobActions.UpdateDatabase, async ct =>
        {
            if (await scans.RefreshDatabaseAsync(ct) is { } result)
            {
                LogRefreshed(logger, result.Info.Version, result.Info.Advisories, result.Reevaluated);
            }
            else
            {
                LogNoDatabaseUrl(logger);
            }
        }, cancellationToken);

    /// <summary>A cache's eviction and warming (Registry:Cache:Schedule); nothing when this registry is not a cache.</summary>
    [Function(nameof(MaintainCache))]
    public async Task MaintainCache([TimerTrigger("%Registry:Cache:Schedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        await cluster.RunTimerAsync(nameof(MaintainCache), cacheMaintenance.IsCache ? JobActions.CacheMaintenance : null,
            async ct => await cacheMaintenance.RunAsync(ct), cancellationToken);

    /// <summary>Queues a run of every enabled poll mirroring policy (Registry:Mirroring:PollSchedule).</summary>
    [Function(nameof(PollMirrors))]
    public async Task PollMirrors([TimerTrigger("%Registry:Mirroring:PollSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        await cluster.RunTimerAsync(nameof(PollMirrors), null, async ct => LogPollsQueued(logger, await mirroring.QueuePollsAsync(ct)), cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} poll mirroring policies queued")]
    private static partial void LogPollsQueued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vulnerability database {Version} in use ({Advisories} advisories); {Images} images evaluated again")]
    private static partial void LogRefreshed(ILogger logger, string version, int advisories, int images);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry:Scan:DatabaseUrl is not set; the database is updated by upload only")]
    private static partial void LogNoDatabaseUrl(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collection is switched off; the timer did nothing")]
    private static partial void LogGcOff(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tag pruning removed {Count} tags (past due: {PastDue})")]
    private static partial void LogPruned(ILogger logger, int count, bool pastDue);
}
