namespace Registry.Scanning.Parsers;

/// <summary>
/// Reads a stream forward in chunks, tells where watched byte patterns start, and fills captures: ranges of the
/// stream given by their start and most length (or ended early by a terminator), kept as the stream passes them.
/// Only the current chunk and the captures are held, whatever the stream's length.
/// </summary>
internal sealed class ForwardScanner(Stream content)
{
    private const int ChunkSize = 1024 * 1024;
    private const int HeadSize = 64 * 1024;

    /// <summary>Bytes of the previous chunk kept before the next: the longest pattern, less one.</summary>
    private const int Overlap = 15;

    private readonly byte[] _buffer = new byte[Overlap + ChunkSize];
    private readonly List<(byte[] Pattern, Func<long, bool> OnFound)> _watches = [];
    private readonly List<Capture> _open = [];
    private int _length;

    /// <summary>The offset in the stream of the first byte held.</summary>
    public long Start { get; private set; }

    /// <summary>The stream's first bytes (at most 64 KiB), once read.</summary>
    public byte[] Head { get; private set; } = [];

    /// <summary>Calls <paramref name="onFound"/> with the offset of each occurrence, until it answers false.</summary>
    public void Watch(byte[] pattern, Func<long, bool> onFound)
    {
        if (pattern.Length > Overlap + 1)
        {
            throw new ArgumentException("the pattern is longer than the overlap of chunks", nameof(pattern));
        }

        _watches.Add((pattern, onFound));
    }

    /// <summary>Captures <paramref name="length"/> bytes from <paramref name="start"/> (fewer when <paramref name="terminator"/> comes first); a start already passed fails it.</summary>
    public Capture Capture(long start, int length, byte[]? terminator = null)
    {
        var capture = new Capture(start, length, terminator);
        Feed(capture);
        if (!capture.Done)
        {
            _open.Add(capture);
        }

        return capture;
    }

    /// <summary>Reads the next chunk, reports the patterns in it and fills the captures; false at the stream's end.</summary>
    public async Task<bool> ReadAsync(CancellationToken cancellationToken)
    {
        var keep = Math.Min(Overlap, _length);
        _buffer.AsSpan(_length - keep, keep).CopyTo(_buffer);
        Start += _length - keep;
        _length = keep;
        var read = await content.ReadAtLeastAsync(_buffer.AsMemory(keep), ChunkSize, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            _open.ForEach(c => c.End());
            _open.Clear();
            return false;
        }

        _length += read;
        if (Head.Length == 0)
        {
            Head = _buffer.AsSpan(0, Math.Min(_length, HeadSize)).ToArray();
        }

        var fresh = Start + keep;
        for (var w = 0; w < _watches.Count;)
        {
            var (pattern, onFound) = _watches[w];
            var watching = true;
            var held = _buffer.AsSpan(0, _length);
            for (var from = 0; watching && held[from..].IndexOf(pattern) is var i and >= 0; from += i + 1)
            {
                // An occurrence wholly in the kept bytes was reported with the chunk before.
                if (Start + from + i + pattern.Length > fresh)
                {
                    watching = onFound(Start + from + i);
                }
            }

            if (watching)
            {
                w++;
            }
            else
            {
                _watches.RemoveAt(w);
            }
        }

        _open.RemoveAll(c =>
        {
            Feed(c);
            return c.Done;
        });
        return true;
    }

    /// <summary>Reads on until every capture is done; true when all are complete.</summary>
    public async Task<bool> ReadUntilAsync(IEnumerable<Capture> captures, CancellationToken cancellationToken)
    {
        var list = captures.ToList();
        while (list.Any(c => !c.Done) && await ReadAsync(cancellationToken))
        {
        }

        return list.All(c => c.Complete);
    }

    private void Feed(Capture capture)
    {
        var next = capture.Start + capture.Filled;
        if (next < Start)
        {
            capture.Fail();   // those bytes have gone by
            return;
        }

        var end = Start + _length;
        if (next < end)
        {
            capture.Append(_buffer.AsSpan((int)(next - Start), (int)Math.Min(end - next, capture.Length - capture.Filled)));
        }
    }
}

/// <summary>A range of a stream being kept: <see cref="Complete"/> once all of it (or all up to its terminator) is held.</summary>
internal sealed class Capture(long start, int length, byte[]? terminator)
{
    private byte[] _data = new byte[Math.Min(length, 4096)];

    public long Start => start;

    /// <summary>The most bytes kept; once the terminator is found, the bytes through it.</summary>
    public int Length { get; private set; } = length;

    public int Filled { get; private set; }

    /// <summary>The bytes kept (the first <see cref="Filled"/> of the array).</summary>
    public byte[] Data => _data;

    public bool Complete { get; private set; }

    /// <summary>Complete, failed, or cut short by the stream's end.</summary>
    public bool Done { get; private set; }

    public void Fail() => Done = true;

    public void End() => Done = true;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Filled + bytes.Length > _data.Length)
        {
            Array.Resize(ref _data, Math.Min(Length, Math.Max(_data.Length * 2, Filled + bytes.Length)));
        }

        var searchFrom = terminator is null ? 0 : Math.Max(0, Filled - terminator.Length + 1);
        bytes.CopyTo(_data.AsSpan(Filled));
        Filled += bytes.Length;
        if (terminator is not null && _data.AsSpan(searchFrom, Filled - searchFrom).IndexOf(terminator) is var at and >= 0)
        {
            Length = Filled = searchFrom + at + terminator.Length;
            Complete = Done = true;
        }
        else if (Filled == Length)
        {
            Complete = terminator is null;
            Done = true;
        }
    }
}
