using Azure;
using Registry.Records;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>Queue depths from the queues' properties (approximate, as Storage counts them).</summary>
public sealed class QueueProbe(StorageClients clients) : IQueueProbe
{
    public async Task<QueueDepth> GetDepthAsync(string queue, CancellationToken cancellationToken = default)
    {
        try
        {
            return new QueueDepth(queue, await CountAsync(queue, cancellationToken), await CountAsync(queue + "-poison", cancellationToken), null);
        }
        catch (Exception e) when (e is RequestFailedException or InvalidOperationException || StorageOutage.Is(e))
        {
            return new QueueDepth(queue, null, null, e is InvalidOperationException ? e.Message : "the queue service did not answer");
        }
    }

    private async Task<int> CountAsync(string queue, CancellationToken cancellationToken)
    {
        try
        {
            return (await clients.Queue(queue).GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return 0;
        }
    }
}
