using System.Threading.Channels;

namespace Registry.Caching;

/// <summary>
/// A blob being fetched from the upstream, as the request that started the fetch sees it: <see cref="Stream"/> yields
/// the bytes as the fetch stores them, and <see cref="Completion"/> ends when they are stored (or the fetch failed).
/// A client that reads too slowly, or goes away, is let go; the fetch goes on for the others.
/// </summary>
public sealed class BlobFill
{
    /// <summary>The largest piece handed over at once; with <see cref="Capacity"/> pieces, what a slow client can hold up is 16 MiB.</summary>
    internal const int MaxChunk = 256 * 1024;
    private const int Capacity = 64;
    private static readonly TimeSpan SlowClient = TimeSpan.FromSeconds(30);
    private readonly Channel<byte[]> _chunks = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = true,
    });

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _detached;

    public BlobFill(long length)
    {
        Length = length;
        Stream = new ReaderStream(this);
    }

    /// <summary>The blob's length as the upstream announced it; -1 when it did not.</summary>
    public long Length { get; }

    /// <summary>The bytes for the first client, in order, as they arrive.</summary>
    public Stream Stream { get; }

    /// <summary>Ends when the blob is stored and linked; faults when the fetch failed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Hands a copy of bytes read from the upstream to the client, unless it is gone or too slow.</summary>
    internal async ValueTask OfferAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (_detached)
        {
            return;
        }

        var copy = bytes.ToArray();
        if (_chunks.Writer.TryWrite(copy))
        {
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(SlowClient);
        try
        {
            await _chunks.Writer.WriteAsync(copy, wait.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            Detach(new TimeoutException("the client read too slowly"));
        }
    }

    /// <summary>The fetch ended: the client's stream ends (or fails), waiters go on.</summary>
    internal void Complete(Exception? error)
    {
        _chunks.Writer.TryComplete(error);
        if (error is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(error);
        }
    }

    private void Detach(Exception? reason)
    {
        _detached = true;
        _chunks.Writer.TryComplete(reason);
        while (_chunks.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>The client's side: reads the chunks in order; its disposal lets the fetch go on alone.</summary>
    private sealed class ReaderStream(BlobFill fill) : Scanning.ReadOnlyForwardStream(Null)
    {
        private byte[] _current = [];
        private int _offset;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_offset == _current.Length)
            {
                if (!await fill._chunks.Reader.WaitToReadAsync(cancellationToken))
                {
                    return 0;
                }

                if (fill._chunks.Reader.TryRead(out var next))
                {
                    _current = next;
                    _offset = 0;
                }
            }

            var count = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsMemory(_offset, count).CopyTo(buffer);
            _offset += count;
            return count;
        }

        public override int Read(Span<byte> buffer)
        {
            var rented = new byte[buffer.Length];
            var read = ReadAsync(rented).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                fill.Detach(null);
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>Reads from the upstream and hands each read to the fill's client as well.</summary>
internal sealed class TeeStream(Stream inner, BlobFill fill) : Scanning.ReadOnlyForwardStream(inner)
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer.Length > BlobFill.MaxChunk ? buffer[..BlobFill.MaxChunk] : buffer, cancellationToken);
        if (read > 0)
        {
            await fill.OfferAsync(buffer[..read], cancellationToken);
        }

        return read;
    }

    public override int Read(Span<byte> buffer)
    {
        var rented = new byte[Math.Min(buffer.Length, BlobFill.MaxChunk)];
        var read = ReadAsync(rented).AsTask().GetAwaiter().GetResult();
        rented.AsSpan(0, read).CopyTo(buffer);
        return read;
    }
}
