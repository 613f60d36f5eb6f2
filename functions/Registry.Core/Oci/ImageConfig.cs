using System.Globalization;
using System.Text.Json;

namespace Registry.Oci;

/// <summary>One step of an image's history (image-spec config.md): the command, who made it, and whether it made a layer.</summary>
public sealed record ImageHistoryStep(string CreatedBy, bool EmptyLayer, string Author = "");

/// <summary>
/// What an image's config (image-spec config.md) says of it: its platform, when and by whom it was made, and the
/// history of its layers. Fields the config leaves out are empty.
/// </summary>
public sealed record ImageConfig(
    string Os, string Architecture, string OsVersion, DateTimeOffset? Created, string Author, IReadOnlyList<ImageHistoryStep> History)
{
    /// <summary>The largest config read.</summary>
    public const long MaxSize = 1024 * 1024;

    /// <summary>Who made each of <paramref name="layers"/> layers: its history step's author, else the image's; empty when neither says.</summary>
    public IReadOnlyList<string> LayerAuthors(int layers)
    {
        var steps = History.Where(s => !s.EmptyLayer).ToList();
        return Enumerable.Range(0, layers).Select(i => i < steps.Count && steps[i].Author.Length > 0 ? steps[i].Author : Author).ToList();
    }

    /// <summary>Reads a config; null when it is not a JSON object.</summary>
    public static ImageConfig? ParseOrNull(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var history = root.TryGetProperty("history", out var steps) && steps.ValueKind == JsonValueKind.Array
                ? steps.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object)
                    .Select(s => new ImageHistoryStep(Text(s, "created_by"), s.TryGetProperty("empty_layer", out var empty) && empty.ValueKind == JsonValueKind.True,
                        Text(s, "author")))
                    .ToList()
                : [];
            var created = DateTimeOffset.TryParse(Text(root, "created"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : (DateTimeOffset?)null;
            return new ImageConfig(Text(root, "os"), Text(root, "architecture"), Text(root, "os.version"), created, Text(root, "author"), history);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
