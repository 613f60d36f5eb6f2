namespace Registry.Http;

/// <summary>Reading a small request body whole, with a bound.</summary>
public static class RequestBodies
{
    /// <summary>
    /// The body's bytes, or null when it holds more than <paramref name="limit"/>; reading stops at the limit, so a
    /// larger body is refused without being read whole.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAtMostAsync(Stream body, int limit, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                return null;
            }
        }

        return buffer.ToArray();
    }
}
