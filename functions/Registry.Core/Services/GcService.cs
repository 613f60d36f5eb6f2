using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Stores;
using Registry.Records;

namespace Registry.Services;

/// <summary>The GC settings in force: configuration (Registry:Gc), overridden by what a system administrator saved.</summary>
public sealed record GcSettings(
    string Schedule, bool Enabled, TimeSpan Deadline, TimeSpan ManifestGracePeriod, TimeSpan BlobGracePeriod, TimeSpan UploadLifetime,
    TimeSpan TouchInterval, GcReport? LastRun);

/// <summary>
/// Garbage collection as the timer and /api/v0 see it: its settings (stored in the Settings table over
/// configuration) and its runs. The schedule belongs to the deployment (the timer trigger reads Registry:Gc:Schedule);
/// the rest may be changed at run time.
/// </summary>
public sealed class GcService(ISettingsStore store, GarbageCollector collector, Events.EventService events, IOptions<GcOptions> options)
{
    /// <summary>The longest run an API request waits for; a longer deadline applies to timer runs only.</summary>
    public static readonly TimeSpan MaxRequestDeadline = TimeSpan.FromMinutes(3);

    private readonly GcOptions _options = options.Value;

    public async Task<GcSettings> GetSettingsAsync(CancellationToken cancellationToken = default)
    {
        var stored = await store.GetGcSettingsOrNullAsync(cancellationToken);
        TimeSpan Pick(string? value, TimeSpan fallback) => GoDuration.Parse(value) ?? fallback;
        // A grace period shorter than the touch interval would let GC take what a push skipped touching.
        TimeSpan Grace(string? value, TimeSpan fallback) => Max(Pick(value, fallback), _options.TouchInterval);
        return new GcSettings(
            _options.Schedule,
            stored?.Enabled ?? true,
            Pick(stored?.Deadline, _options.Deadline),
            Grace(stored?.ManifestGracePeriod, _options.ManifestGracePeriod),
            Grace(stored?.BlobGracePeriod, _options.BlobGracePeriod),
            Pick(stored?.UploadLifetime, _options.UploadLifetime),
            _options.TouchInterval,
            stored?.LastRun is { } json ? JsonSerializer.Deserialize<GcReport>(json) : null);
    }

    /// <summary>
    /// Saves the given settings (null leaves one as it is; an empty string returns it to configuration). The row is
    /// replaced on condition of the ETag read, and read again when another save or a run's report came between, so
    /// neither is lost.
    /// </summary>
    public async Task<GcSettings> SaveSettingsAsync(
        bool? enabled, string? deadline, string? manifestGracePeriod, string? blobGracePeriod, string? uploadLifetime,
        CancellationToken cancellationToken = default)
    {
        string? Set(string? value, string? current) => value is null ? current : value.Length == 0 ? null : value;
        while (true)
        {
            var found = await store.GetGcSettingsOrNullAsync(cancellationToken);
            var stored = found ?? new SavedGcSettings();
            stored.Enabled = enabled ?? stored.Enabled;
            stored.Deadline = Set(deadline, stored.Deadline);
            stored.ManifestGracePeriod = Set(manifestGracePeriod, stored.ManifestGracePeriod);
            stored.BlobGracePeriod = Set(blobGracePeriod, stored.BlobGracePeriod);
            stored.UploadLifetime = Set(uploadLifetime, stored.UploadLifetime);
            if (await store.TrySaveGcSettingsAsync(stored, found is not null, cancellationToken))
            {
                return await GetSettingsAsync(cancellationToken);
            }

            // Written meanwhile: read it again.
        }
    }

    /// <summary>The timer's run: nothing when GC is switched off.</summary>
    public async Task<GcReport?> RunScheduledAsync(CancellationToken cancellationToken = default)
    {
        var settings = await GetSettingsAsync(cancellationToken);
        return settings.Enabled ? await RunAsync(settings, dryRun: false, settings.Deadline, cancellationToken) : null;
    }

    /// <summary>A run asked for through the API (GC switched off or not), bounded by <see cref="MaxRequestDeadline"/>.</summary>
    public async Task<GcReport> RunNowAsync(bool dryRun, CancellationToken cancellationToken = default)
    {
        var settings = await GetSettingsAsync(cancellationToken);
        return await RunAsync(settings, dryRun, Min(settings.Deadline, MaxRequestDeadline), cancellationToken);
    }

    private async Task<GcReport> RunAsync(GcSettings settings, bool dryRun, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var report = await collector.RunAsync(new GcRun(dryRun, deadline, settings.ManifestGracePeriod, settings.BlobGracePeriod, settings.UploadLifetime), cancellationToken);
        if (!dryRun)
        {
            await store.SaveGcLastRunAsync(JsonSerializer.Serialize(report.Summary()), cancellationToken);
            Telemetry.RegistryTelemetry.RecordGc(report.ManifestsDeleted, report.BlobsDeleted, report.UploadsExpired, report.BytesFreed);
            if (await events.WantsAsync(Events.EventTypes.GcCompleted, "", cancellationToken))
            {
                await events.RaiseAsync(events.GlobalEvent(Events.EventTypes.GcCompleted, "gc",
                    JsonSerializer.SerializeToNode(report.Summary())!.AsObject(), report.StartedAt.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    cancellationToken);
            }
        }

        return report;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
