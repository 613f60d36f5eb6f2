using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Registry.Services;

/// <summary>
/// One rule of a pruning policy after DTR: <c>{field, operator, values}</c>. Fields: <c>tag</c> (operators eq, sw,
/// ew, c, oo, noo), <c>updated_at</c> (bf, af; an RFC 3339 time) and <c>updated_at_duration</c> (bf, af; a Go
/// duration such as <c>720h</c>: "before" means last updated longer ago than that). The scanning fields
/// (vulnerability_*, component.name, license.name) are refused until scanning exists.
/// </summary>
public sealed partial record PruningRule(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("operator")] string Operator,
    [property: JsonPropertyName("values")] IReadOnlyList<string> Values)
{
    public const int MaxValues = 100;

    private static readonly IReadOnlyDictionary<string, string[]> Operators = new Dictionary<string, string[]>
    {
        ["tag"] = ["eq", "sw", "ew", "c", "oo", "noo"],
        ["updated_at"] = ["bf", "af"],
        ["updated_at_duration"] = ["bf", "af"],
    };

    /// <summary>Null when the rule is well formed, else why not.</summary>
    public string? Validate()
    {
        if (Field is null || !Operators.TryGetValue(Field, out var operators))
        {
            return Field is not null && (Field.StartsWith("vulnerability_", StringComparison.Ordinal) || Field is "component.name" or "license.name")
                ? $"field {Field} needs vulnerability scanning, which this registry does not run yet"
                : "field must be tag, updated_at or updated_at_duration";
        }

        if (Operator is null || !operators.Contains(Operator))
        {
            return $"operator of {Field} must be one of {string.Join(", ", operators)}";
        }

        if (Values is not { Count: > 0 and <= MaxValues } || Values.Any(v => v is null or { Length: > 256 }))
        {
            return $"values: 1 to {MaxValues} strings of at most 256 characters";
        }

        return Field switch
        {
            "updated_at" when Values.Count != 1 || !DateTimeOffset.TryParse(Values[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _) =>
                "updated_at takes one RFC 3339 time",
            "updated_at_duration" when Values.Count != 1 || ParseDuration(Values[0]) is null => "updated_at_duration takes one duration such as 720h or 90m",
            _ => null,
        };
    }

    /// <summary>True when a tag named <paramref name="tag"/>, last updated at <paramref name="updatedAt"/>, meets the rule.</summary>
    public bool Matches(string tag, DateTimeOffset updatedAt, DateTimeOffset now) => (Field, Operator) switch
    {
        ("tag", "eq") => Values.Contains(tag),
        ("tag", "sw") => Values.Any(v => tag.StartsWith(v, StringComparison.Ordinal)),
        ("tag", "ew") => Values.Any(v => tag.EndsWith(v, StringComparison.Ordinal)),
        ("tag", "c") => Values.Any(v => tag.Contains(v, StringComparison.Ordinal)),
        ("tag", "oo") => Values.Contains(tag),
        ("tag", "noo") => !Values.Contains(tag),
        ("updated_at", "bf") => updatedAt < Time(Values[0]),
        ("updated_at", "af") => updatedAt > Time(Values[0]),
        ("updated_at_duration", "bf") => updatedAt < now - ParseDuration(Values[0])!.Value,
        ("updated_at_duration", "af") => updatedAt > now - ParseDuration(Values[0])!.Value,
        _ => false,
    };

    /// <summary>A Go duration (<c>1h30m</c>, <c>720h</c>, <c>45s</c>, <c>1.5h</c>); null when it is not one.</summary>
    public static TimeSpan? ParseDuration(string value)
    {
        var match = GoDuration().Match(value);
        if (!match.Success)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value.TrimStart("0123456789.".ToCharArray());
            if (!double.TryParse(part.Value[..^unit.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            total += unit switch
            {
                "h" => TimeSpan.FromHours(number),
                "m" => TimeSpan.FromMinutes(number),
                "s" => TimeSpan.FromSeconds(number),
                "ms" => TimeSpan.FromMilliseconds(number),
                _ => TimeSpan.Zero,
            };
        }

        return total;
    }

    private static DateTimeOffset Time(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [GeneratedRegex(@"^(?<part>[0-9]+(?:\.[0-9]+)?(?:ms|h|m|s))+$")]
    private static partial Regex GoDuration();
}
