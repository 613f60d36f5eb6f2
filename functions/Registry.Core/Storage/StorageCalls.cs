using Azure.Core;
using Azure.Core.Pipeline;

namespace Registry.Storage;

/// <summary>What a storage request is, as storage bills it.</summary>
public enum StorageCallKind
{
    BlobRead,
    BlobWrite,
    BlobList,
    TableRead,
    TableWrite,
    TableQuery,
    Queue,
}

/// <summary>The storage requests of one API request (or one background job), counted by kind.</summary>
public sealed class StorageCallCount
{
    private readonly int[] _counts = new int[Enum.GetValues<StorageCallKind>().Length];

    public int this[StorageCallKind kind] => Volatile.Read(ref _counts[(int)kind]);

    internal void Add(StorageCallKind kind) => Interlocked.Increment(ref _counts[(int)kind]);

    /// <summary>The non-zero counts, as <c>blob-read=1, table-write=2</c>.</summary>
    public override string ToString() => string.Join(", ", Enum.GetValues<StorageCallKind>()
        .Where(k => this[k] > 0)
        .Select(k => $"{Wire(k)}={this[k]}"));

    private static string Wire(StorageCallKind kind) => kind switch
    {
        StorageCallKind.BlobRead => "blob-read",
        StorageCallKind.BlobWrite => "blob-write",
        StorageCallKind.BlobList => "blob-list",
        StorageCallKind.TableRead => "table-read",
        StorageCallKind.TableWrite => "table-write",
        StorageCallKind.TableQuery => "table-query",
        _ => "queue",
    };
}

/// <summary>
/// Counts the storage requests sent while serving one API request: an Azure SDK pipeline policy on every client,
/// once per request sent (retries count, as storage bills them), into the count that <see cref="Begin"/> opened on
/// the current asynchronous flow.
/// </summary>
public sealed class StorageCalls : HttpPipelinePolicy
{
    private static readonly AsyncLocal<StorageCallCount?> Current = new();
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

    /// <summary>Opens a count for the rest of the current asynchronous flow (what it calls, not its caller).</summary>
    public static StorageCallCount Begin() => Current.Value = new StorageCallCount();

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Current.Value?.Add(KindOf(message.Request));
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Current.Value?.Add(KindOf(message.Request));
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
