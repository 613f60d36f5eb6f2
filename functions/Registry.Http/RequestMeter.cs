namespace Registry.Http;

/// <summary>Requests of this instance: in flight now, and served since it started (what <c>/nginx_status</c> reports).</summary>
public sealed class RequestMeter
{
    private long _inFlight;
    private long _total;

    public long InFlight => Interlocked.Read(ref _inFlight);

    public long Total => Interlocked.Read(ref _total);

    /// <summary>Counts one request while <paramref name="serve"/> runs.</summary>
    public async Task<T> MeasureAsync<T>(Func<Task<T>> serve)
    {
        Interlocked.Increment(ref _total);
        Interlocked.Increment(ref _inFlight);
        try
        {
            return await serve();
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
