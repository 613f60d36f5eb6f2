using System.Globalization;
using System.Text.Json;

namespace Registry.Tests.Support;

/// <summary>
/// DTR's API models (Fixtures/dtr/definitions.json, from DTR 2.7's swagger): an answer matches a model when every
/// required field is there and every field the model names has its type, nested models included. Fields of ours
/// beyond DTR's are allowed (DTR's are never renamed).
/// </summary>
public static class DtrContract
{
    private static readonly Lazy<JsonElement> Definitions = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dtr", "definitions.json"))).RootElement);

    /// <summary>Fails with the path of each field that does not match <paramref name="model"/>.</summary>
    public static void AssertMatches(JsonElement value, string model)
    {
        var problems = new List<string>();
        Check(value, $"ref:{model}", "$", problems);
        Assert.True(problems.Count == 0, $"not DTR's {model}: {string.Join("; ", problems)}");
    }

    private static void Check(JsonElement value, string type, string path, List<string> problems)
    {
        switch (type.Split(':', 2))
        {
            case ["ref", var model]:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"{path} is {value.ValueKind}, not an object ({model})");
                    return;
                }

                var definition = Definitions.Value.GetProperty(model);
                foreach (var required in definition.GetProperty("required").EnumerateArray().Select(r => r.GetString()!))
                {
                    if (!value.TryGetProperty(required, out _))
                    {
                        problems.Add($"{path}.{required} is missing");
                    }
                }

                foreach (var property in definition.GetProperty("properties").EnumerateObject())
                {
                    if (value.TryGetProperty(property.Name, out var field))
                    {
                        Check(field, property.Value.GetString()!, $"{path}.{property.Name}", problems);
                    }
                }

                return;
            case ["array", var items]:
                if (value.ValueKind != JsonValueKind.Array)
                {
                    problems.Add($"{path} is {value.ValueKind}, not an array");
                    return;
                }

                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Check(item, items is "string" or "integer" or "number" or "boolean" or "date-time" ? items : $"ref:{items}", $"{path}[{i++}]", problems);
                }

                return;
        }

        var matches = type switch
        {
            "string" => value.ValueKind == JsonValueKind.String,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "object" => value.ValueKind == JsonValueKind.Object,
            "date-time" => value.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _),
            _ => throw new InvalidOperationException($"unknown type {type}"),
        };
        if (!matches)
        {
            problems.Add($"{path} is {value.ValueKind} ({value}), not {type}");
        }
    }
}
