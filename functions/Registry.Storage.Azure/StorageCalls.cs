using Azure.Core;
using Azure.Core.Pipeline;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>
/// Counts the storage requests sent while serving one API request: an Azure SDK pipeline policy on every client,
/// once per request sent (retries count, as storage bills them), into the count that <see cref="StorageCallCount.Begin"/>
/// opened on the current asynchronous flow.
/// </summary>
public sealed class StorageCalls : HttpPipelinePolicy
{
    private readonly Service _service;

    private StorageCalls(Service service) => _service = service;

    private enum Service
    {
        Blob,
        Table,
        Queue,
    }

    public static readonly StorageCalls Blobs = new(Service.Blob);
    public static readonly StorageCalls Tables = new(Service.Table);
    public static readonly StorageCalls Queues = new(Service.Queue);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        StorageCallCount.Record(KindOf(message.Request));
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        StorageCallCount.Record(KindOf(message.Request));
        return ProcessNextAsync(message, pipeline);
    }

    private StorageCallKind KindOf(Request request)
    {
        var read = request.Method == RequestMethod.Get || request.Method == RequestMethod.Head;
        var uri = request.Uri;
        return _service switch
        {
            Service.Blob when read && uri.Query.Contains("comp=list", StringComparison.Ordinal) => StorageCallKind.BlobList,
            Service.Blob => read ? StorageCallKind.BlobRead : StorageCallKind.BlobWrite,
            // A point read names its row in the path: Table(PartitionKey='…',RowKey='…'); any other GET is a query.
            Service.Table when read => uri.Path.Contains("(PartitionKey=", StringComparison.Ordinal)
                ? StorageCallKind.TableRead
                : StorageCallKind.TableQuery,
            Service.Table => StorageCallKind.TableWrite,
            _ => StorageCallKind.Queue,
        };
    }
}
