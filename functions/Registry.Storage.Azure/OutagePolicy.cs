using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>
/// Turns an outage an SDK client meets into the domain's <see cref="StorageUnavailableException"/>: its retries
/// exhausted on a refused or dropped connection or on its network timeout (storage that accepts and does not answer),
/// or a 408 or 5xx answer after them. It sits once per
/// call, around the SDK's retries, on every client of this project; a refusal of one request (404, 409, 412) passes
/// through as the SDK reports it.
/// </summary>
internal sealed class OutagePolicy : HttpPipelinePolicy
{
    public static readonly OutagePolicy Instance = new();

    private OutagePolicy()
    {
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            ProcessNext(message, pipeline);
        }
        catch (Exception e) when (IsOutage(e, message.CancellationToken))
        {
            throw Unavailable(e);
        }

        ThrowOnOutageAnswer(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            await ProcessNextAsync(message, pipeline);
        }
        catch (Exception e) when (IsOutage(e, message.CancellationToken))
        {
            throw Unavailable(e);
        }

        ThrowOnOutageAnswer(message);
    }

    private static void ThrowOnOutageAnswer(HttpMessage message)
    {
        if (message.HasResponse && message.Response.Status is 408 or >= 500)
        {
            throw new StorageUnavailableException($"Storage answered {message.Response.Status} {message.Response.ReasonPhrase}", null);
        }
    }

    private static StorageUnavailableException Unavailable(Exception e) => new($"Storage cannot be reached: {e.Message}", e);

    /// <param name="caller">The token of the call: a cancellation it did not ask for is the SDK's network timeout.</param>
    private static bool IsOutage(Exception exception, CancellationToken caller) => exception switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or >= 500,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => IsOutage(e, caller)),
        HttpRequestException or SocketException or TimeoutException or IOException => true,
        OperationCanceledException => !caller.IsCancellationRequested,
        _ => false,
    };
}
