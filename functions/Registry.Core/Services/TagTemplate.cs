using System.Globalization;
using System.Text;

namespace Registry.Services;

/// <summary>
/// DTR's promotion tag templates: text with <c>%</c> directives, rendered with the source tag and the promotion
/// time (UTC). <c>%n</c> source tag; <c>%A</c>/<c>%a</c> weekday (Sunday/Sun); <c>%w</c> weekday 0–6 (Sunday 0);
/// <c>%d</c> day 01–31; <c>%B</c>/<c>%b</c> month (January/Jan); <c>%m</c> month 01–12; <c>%Y</c> year 2015;
/// <c>%y</c> year 15; <c>%H</c> hour 00–23; <c>%I</c> hour 01–12; <c>%p</c> AM/PM; <c>%M</c> minute; <c>%S</c>
/// second; <c>%f</c> microseconds 000000–999999; <c>%Z</c> time zone (UTC); <c>%j</c> day of year 001–366;
/// <c>%W</c> week of the year 00–53, weeks starting on Monday; <c>%%</c> a percent sign.
/// </summary>
public static class TagTemplate
{
    public const int MaxLength = 128;

    private const string Directives = "nAawdBbmYyHIpMSfZjW%";

    /// <summary>Null when <paramref name="template"/> is well formed, else why not.</summary>
    public static string? Validate(string? template)
    {
        if (string.IsNullOrEmpty(template) || template.Length > MaxLength)
        {
            return $"tagTemplate: 1 to {MaxLength} characters";
        }

        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] != '%')
            {
                continue;
            }

            if (i + 1 == template.Length || !Directives.Contains(template[i + 1], StringComparison.Ordinal))
            {
                return $"tagTemplate: unknown directive at {i}; known: %{string.Join(", %", Directives.ToCharArray())}";
            }

            i++;
        }

        // Every character that is not a directive must be allowed in a tag.
        return Oci.Tag.TryParse(Render(template, "n", new DateTimeOffset(2015, 1, 1, 0, 0, 0, TimeSpan.Zero)), out _)
            ? null
            : "tagTemplate: the rendered tag would not be a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]*)";
    }

    /// <summary>Renders a template checked by <see cref="Validate"/>.</summary>
    public static string Render(string template, string sourceTag, DateTimeOffset time)
    {
        var t = time.ToUniversalTime();
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] != '%' || i + 1 == template.Length)
            {
                text.Append(template[i]);
                continue;
            }

            i++;
            text.Append(template[i] switch
            {
                'n' => sourceTag,
                'A' => t.DayOfWeek.ToString(),
                'a' => t.DayOfWeek.ToString()[..3],
                'w' => ((int)t.DayOfWeek).ToString(culture),
                'd' => t.Day.ToString("00", culture),
                'B' => culture.DateTimeFormat.GetMonthName(t.Month),
                'b' => culture.DateTimeFormat.GetAbbreviatedMonthName(t.Month),
                'm' => t.Month.ToString("00", culture),
                'Y' => t.Year.ToString(culture),
                'y' => (t.Year % 100).ToString("00", culture),
                'H' => t.Hour.ToString("00", culture),
                'I' => (t.Hour % 12 == 0 ? 12 : t.Hour % 12).ToString("00", culture),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'M' => t.Minute.ToString("00", culture),
                'S' => t.Second.ToString("00", culture),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", culture),
                'Z' => "UTC",
                'j' => t.DayOfYear.ToString("000", culture),
                'W' => MondayWeek(t).ToString("00", culture),
                '%' => "%",
                var other => $"%{other}",
            });
        }

        return text.ToString();
    }

    /// <summary>C's %W: days before the year's first Monday are in week 0.</summary>
    private static int MondayWeek(DateTimeOffset t)
    {
        var mondayBased = ((int)t.DayOfWeek + 6) % 7;   // Monday 0 … Sunday 6
        return (t.DayOfYear - 1 - mondayBased + 7) / 7;
    }
}
