using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Services;

namespace Registry.Functions;

/// <summary>
/// The standalone host's stand-in for the Functions timer triggers: it calls the same <see cref="TimerFunctions"/>
/// methods on their CRON schedules. Each next run is computed from the previous scheduled time.
/// </summary>
public sealed partial class StandaloneTimers(
    IServiceProvider services, IOptions<PruningOptions> pruning, IOptions<GcOptions> gc, IOptions<ScanOptions> scan, IOptions<CacheOptions> cache, IOptions<MirroringOptions> mirroring,
    TimeProvider time,
    ILogger<StandaloneTimers> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start-up path: the host serves while the schedules are read.
        await Task.Yield();
        await Task.WhenAll(
            RunOnScheduleAsync(nameof(TimerFunctions.PruneTags), pruning.Value.Schedule,
                ct => services.GetRequiredService<TimerFunctions>().PruneTags(new TimerInfo(), ct), stoppingToken),
            RunOnScheduleAsync(nameof(TimerFunctions.CollectGarbage), gc.Value.Schedule,
                ct => services.GetRequiredService<TimerFunctions>().CollectGarbage(new TimerInfo(), ct), stoppingToken),
            RunOnScheduleAsync(nameof(TimerFunctions.RefreshVulnerabilityDatabase), scan.Value.DatabaseSchedule,
                ct => services.GetRequiredService<TimerFunctions>().RefreshVulnerabilityDatabase(new TimerInfo(), ct), stoppingToken),
            RunOnScheduleAsync(nameof(TimerFunctions.MaintainCache), cache.Value.Schedule,
                ct => services.GetRequiredService<TimerFunctions>().MaintainCache(new TimerInfo(), ct), stoppingToken),
            RunOnScheduleAsync(nameof(TimerFunctions.PollMirrors), mirroring.Value.PollSchedule,
                ct => services.GetRequiredService<TimerFunctions>().PollMirrors(new TimerInfo(), ct), stoppingToken),
            RunOnScheduleAsync(nameof(TimerFunctions.DrainEvents), Events.EventService.DrainSchedule,
                ct => services.GetRequiredService<TimerFunctions>().DrainEvents(new TimerInfo(), ct), stoppingToken),
            RunOnScheduleAsync(nameof(TimerFunctions.FlushCounts), RepositoryCounters.FlushSchedule,
                ct => services.GetRequiredService<TimerFunctions>().FlushCounts(new TimerInfo(), ct), stoppingToken));
    }

    private async Task RunOnScheduleAsync(string name, string expression, Func<CancellationToken, Task> run, CancellationToken stoppingToken)
    {
        if (!CronSchedule.TryParse(expression, out var schedule))
        {
            LogBadSchedule(logger, name, expression);
            return;
        }

        var previous = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested && schedule!.Next(previous) is { } next)
        {
            while (time.GetUtcNow() < next)
            {
                await Task.Delay(next - time.GetUtcNow() + TimeSpan.FromMilliseconds(5), time, stoppingToken);
            }

            try
            {
                await run(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e, name);
            }

            previous = next;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer {Name} has an invalid schedule '{Schedule}'; it will not run")]
    private static partial void LogBadSchedule(ILogger logger, string name, string schedule);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer {Name} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string name);
}
