namespace Registry.Stores;

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
    private static readonly AsyncLocal<StorageCallCount?> Current = new();
    private readonly int[] _counts = new int[Enum.GetValues<StorageCallKind>().Length];

    public int this[StorageCallKind kind] => Volatile.Read(ref _counts[(int)kind]);

    /// <summary>Every kind together.</summary>
    public int Total => Enum.GetValues<StorageCallKind>().Sum(k => this[k]);

    /// <summary>Opens a count for the rest of the current asynchronous flow (what it calls, not its caller).</summary>
    public static StorageCallCount Begin() => Current.Value = new StorageCallCount();

    /// <summary>Counts one storage request into the count open on the current asynchronous flow, if any.</summary>
    public static void Record(StorageCallKind kind)
    {
        if (Current.Value is { } count)
        {
            Interlocked.Increment(ref count._counts[(int)kind]);
        }
    }

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
