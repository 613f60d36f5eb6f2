using System.Globalization;
using System.Text.Json.Serialization;

namespace Registry.Services;

/// <summary>
/// One rule of a pruning or promotion policy after DTR (one engine for both): <c>{field, operator, values}</c>. Fields: <c>tag</c> (operators eq, sw,
/// ew, c, oo, noo), <c>updated_at</c> (bf, af; an RFC 3339 time) and <c>updated_at_duration</c> (bf, af; a Go
/// duration such as <c>720h</c>: "before" means last updated longer ago than that). The scanning fields
/// (vulnerability_*, component.name, license.name) are refused until scanning exists.
/// </summary>
public sealed record PolicyRule(
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
            "updated_at_duration" when Values.Count != 1 || GoDuration.Parse(Values[0]) is null => "updated_at_duration takes one duration such as 720h or 90m",
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
        ("updated_at_duration", "bf") => updatedAt < now - GoDuration.Parse(Values[0])!.Value,
        ("updated_at_duration", "af") => updatedAt > now - GoDuration.Parse(Values[0])!.Value,
        _ => false,
    };

    private static DateTimeOffset Time(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
