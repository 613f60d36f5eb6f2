using Cronos;

namespace Registry.Services;

/// <summary>A six-field CRON schedule (seconds first, UTC), read by Cronos.</summary>
public sealed class CronSchedule
{
    private readonly CronExpression _expression;

    private CronSchedule(CronExpression expression) => _expression = expression;

    public static bool TryParse(string? value, out CronSchedule? schedule)
    {
        schedule = null;
        if (string.IsNullOrWhiteSpace(value) || !CronExpression.TryParse(value, CronFormat.IncludeSeconds, out var expression))
        {
            return false;
        }

        schedule = new CronSchedule(expression);
        return true;
    }

    /// <summary>
    /// The first occurrence strictly after <paramref name="previous"/>. A loop computes each run from the previous
    /// scheduled time, never from "now", so a timer that wakes early cannot fire one slot twice.
    /// </summary>
    public DateTimeOffset? Next(DateTimeOffset previous) => _expression.GetNextOccurrence(previous, TimeZoneInfo.Utc);
}
