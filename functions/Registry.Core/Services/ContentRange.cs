using System.Globalization;

namespace Registry.Services;

/// <summary>
/// The Content-Range of a chunk PATCH: <c>&lt;start&gt;-&lt;end&gt;</c> inclusive (distribution-spec), also accepted
/// in the RFC 9110 form <c>bytes &lt;start&gt;-&lt;end&gt;/&lt;size or *&gt;</c>.
/// </summary>
public readonly record struct ContentRange(long Start, long End)
{
    public long Length => End - Start + 1;

    public static bool TryParse(string? value, out ContentRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var text = value.Trim();
        if (text.StartsWith("bytes ", StringComparison.OrdinalIgnoreCase))
        {
            text = text[6..].Trim();
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                text = text[..slash];
            }
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            || end < start)
        {
            return false;
        }

        range = new ContentRange(start, end);
        return true;
    }
}
