using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Registry.Services;

/// <summary>
/// The running hash of each upload this instance has been feeding, with the offset it has reached. A request that
/// continues an upload takes the hash out (so two racing requests never share one), and puts it back after a
/// successful commit. When the next request lands on another instance, the hash is simply missing there and the
/// upload is hashed again from storage when it completes.
/// </summary>
public sealed class UploadHashCache : IDisposable
{
    private const int Capacity = 4096;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(long Offset, IncrementalHash Hash);

    /// <summary>Takes the hash of <paramref name="uploadId"/> if it has reached exactly <paramref name="offset"/>.</summary>
    public IncrementalHash? Take(string uploadId, long offset)
    {
        if (!_entries.TryRemove(uploadId, out var entry))
        {
            return null;
        }

        if (entry.Offset == offset)
        {
            return entry.Hash;
        }

        entry.Hash.Dispose();
        return null;
    }

    /// <summary>Keeps a hash for the next request; drops it when full (the upload is then hashed again at the end).</summary>
    public void Put(string uploadId, long offset, IncrementalHash hash)
    {
        if (_entries.Count >= Capacity || !_entries.TryAdd(uploadId, new Entry(offset, hash)))
        {
            hash.Dispose();
        }
    }

    public void Forget(string uploadId)
    {
        if (_entries.TryRemove(uploadId, out var entry))
        {
            entry.Hash.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var entry in _entries.Values)
        {
            entry.Hash.Dispose();
        }

        _entries.Clear();
    }
}
