using Registry.Stores;

namespace Registry.Health;

/// <summary>A health answer: whether storage answered, why not, and when it was checked.</summary>
public sealed record HealthReport(bool Healthy, string Error, DateTimeOffset CheckedAt);

/// <summary>
/// Whether this instance can serve: storage answers. The check is kept for <see cref="CheckLifetime"/>, and callers that
/// ask while one is running share it, so a load balancer's probes cost at most one storage request per interval.
/// </summary>
public sealed class HealthService(IStorageProbe probe, TimeProvider time)
{
    public static readonly TimeSpan CheckLifetime = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private Task<HealthReport>? _check;

    public Task<HealthReport> CheckAsync()
    {
        lock (_lock)
        {
            if (_check is null || (_check.IsCompleted && time.GetUtcNow() - _check.Result.CheckedAt >= CheckLifetime))
            {
                _check = ProbeAsync();
            }

            return _check;
        }
    }

    private async Task<HealthReport> ProbeAsync()
    {
        await Task.Yield();
        try
        {
            await probe.ProbeAsync();
            return new HealthReport(true, "", time.GetUtcNow());
        }
        catch (Exception e)
        {
            // the reason in general words only: an exception's text may name the account
            return new HealthReport(false, StorageOutage.Is(e) ? "storage cannot be reached" : "storage refused the health check", time.GetUtcNow());
        }
    }
}
