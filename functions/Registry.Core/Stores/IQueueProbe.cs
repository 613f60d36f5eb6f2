using Registry.Records;

namespace Registry.Stores;

/// <summary>How many messages wait in a queue and its poison queue (a queue never made counts none).</summary>
public interface IQueueProbe
{
    Task<QueueDepth> GetDepthAsync(string queue, CancellationToken cancellationToken = default);
}
