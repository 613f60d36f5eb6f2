using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Registry.Services;

/// <summary>Durations written as Go writes them (<c>time.ParseDuration</c>), as DTR's API carries them.</summary>
public static partial class GoDuration
{
    /// <summary>The longest duration Go has (an int64 of nanoseconds, about 2,562,047 hours).</summary>
    private const double MaxSeconds = long.MaxValue / 1e9;

    /// <summary>
    /// A Go duration (<c>1h30m</c>, <c>720h</c>, <c>45s</c>, <c>1.5h</c>); null when it is not one or is longer than Go
    /// allows.
    /// </summary>
    public static TimeSpan? Parse(string? value)
    {
        var match = value is null ? null : Grammar().Match(value);
        if (match is not { Success: true })
        {
            return null;
        }

        var seconds = 0.0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value.TrimStart("0123456789.".ToCharArray());
            if (!double.TryParse(part.Value[..^unit.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            seconds += number * unit switch
            {
                "h" => 3600,
                "m" => 60,
                "s" => 1,
                _ => 0.001, // ms, the grammar's last unit
            };
        }

        return seconds <= MaxSeconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    /// <summary>The shortest Go form of a whole number of seconds or more: <c>1h30m</c>, <c>24h</c>, <c>45s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        var text = new StringBuilder();
        var hours = (long)value.TotalHours;
        if (hours > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{hours}h");
        }

        if (value.Minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{value.Minutes}m");
        }

        if (value.Seconds > 0 || text.Length == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{value.Seconds}s");
        }

        return text.ToString();
    }

    [GeneratedRegex(@"^(?<part>[0-9]+(?:\.[0-9]+)?(?:ms|h|m|s))+$")]
    private static partial Regex Grammar();
}
