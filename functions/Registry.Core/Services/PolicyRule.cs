using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Services;

/// <summary>What a scan tells about an image, for policy rules: vulnerability counts, component names, licenses.</summary>
public sealed record ImageFacts(int Critical, int Major, int Minor, IReadOnlySet<string> Components, IReadOnlySet<string> Licenses)
{
    public int All => Critical + Major + Minor;
}

/// <summary>
/// One rule of a pruning or promotion policy after DTR (one engine for both): <c>{field, operator, values}</c>.
/// Fields: <c>tag</c> (eq, sw, ew, c, oo, noo); <c>updated_at</c> (bf, af; an RFC 3339 time);
/// <c>updated_at_duration</c> (bf, af; a Go duration such as <c>720h</c>: "before" means last updated longer ago
/// than that); the scan fields <c>vulnerability_all</c>, <c>vulnerability_critical</c>, <c>vulnerability_major</c>,
/// <c>vulnerability_minor</c> (gte, gt, eq, neq, lte, lt; a count), <c>component.name</c> and <c>license.name</c>
/// (oo, noo, and for components eq, sw, ew, c). A scan rule does not match an image that has not been scanned.
/// </summary>
public sealed record PolicyRule(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("operator")] string Operator,
    [property: JsonPropertyName("values")] IReadOnlyList<string> Values)
{
    public const int MaxValues = 100;

    /// <summary>A policy's rules as its row stores them (JSON).</summary>
    public static string Store(IReadOnlyList<PolicyRule> rules) => JsonSerializer.Serialize(rules);

    /// <summary>The rules a policy row stores.</summary>
    public static IReadOnlyList<PolicyRule> Load(string stored) => JsonSerializer.Deserialize<List<PolicyRule>>(stored) ?? [];

    private static readonly string[] CountOperators = ["gte", "gt", "eq", "neq", "lte", "lt"];

    private static readonly IReadOnlyDictionary<string, string[]> Operators = new Dictionary<string, string[]>
    {
        ["tag"] = ["eq", "sw", "ew", "c", "oo", "noo"],
        ["updated_at"] = ["bf", "af"],
        ["updated_at_duration"] = ["bf", "af"],
        ["vulnerability_all"] = CountOperators,
        ["vulnerability_critical"] = CountOperators,
        ["vulnerability_major"] = CountOperators,
        ["vulnerability_minor"] = CountOperators,
        ["component.name"] = ["oo", "noo", "eq", "sw", "ew", "c"],
        ["license.name"] = ["oo", "noo"],
    };

    /// <summary>Whether the rule needs the image's scan results.</summary>
    [JsonIgnore]
    public bool NeedsScan => Field.StartsWith("vulnerability_", StringComparison.Ordinal) || Field is "component.name" or "license.name";

    /// <summary>Null when the rule is well formed, else why not.</summary>
    public string? Validate()
    {
        if (Field is null || !Operators.TryGetValue(Field, out var operators))
        {
            return $"field must be one of {string.Join(", ", Operators.Keys)}";
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
            _ when Field.StartsWith("vulnerability_", StringComparison.Ordinal) && (Values.Count != 1 || Count(Values[0]) is null) =>
                $"{Field} takes one count (0 or more)",
            _ => null,
        };
    }

    /// <summary>
    /// True when a tag named <paramref name="tag"/>, last updated at <paramref name="updatedAt"/>, of an image with
    /// the scan results <paramref name="facts"/> (null: not scanned) meets the rule.
    /// </summary>
    public bool Matches(string tag, DateTimeOffset updatedAt, DateTimeOffset now, ImageFacts? facts = null) => (Field, Operator) switch
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
        _ when facts is null => false,
        ("vulnerability_all", _) => Compare(facts.All),
        ("vulnerability_critical", _) => Compare(facts.Critical),
        ("vulnerability_major", _) => Compare(facts.Major),
        ("vulnerability_minor", _) => Compare(facts.Minor),
        ("component.name", "oo") or ("component.name", "eq") => Values.Any(facts.Components.Contains),
        ("component.name", "noo") => !Values.Any(facts.Components.Contains),
        ("component.name", "sw") => facts.Components.Any(c => Values.Any(v => c.StartsWith(v, StringComparison.Ordinal))),
        ("component.name", "ew") => facts.Components.Any(c => Values.Any(v => c.EndsWith(v, StringComparison.Ordinal))),
        ("component.name", "c") => facts.Components.Any(c => Values.Any(v => c.Contains(v, StringComparison.Ordinal))),
        ("license.name", "oo") => Values.Any(facts.Licenses.Contains),
        ("license.name", "noo") => !Values.Any(facts.Licenses.Contains),
        _ => false,
    };

    private bool Compare(int actual)
    {
        var value = Count(Values[0])!.Value;
        return Operator switch
        {
            "gte" => actual >= value,
            "gt" => actual > value,
            "eq" => actual == value,
            "neq" => actual != value,
            "lte" => actual <= value,
            "lt" => actual < value,
            _ => false,
        };
    }

    private static int? Count(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : null;

    private static DateTimeOffset Time(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
