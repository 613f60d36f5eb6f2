using System.Globalization;
using System.Text.Json;

namespace Registry.Oci;

/// <summary>One step of an image's history (image-spec config.md): the command, and whether it made a layer.</summary>
public sealed record ImageHistoryStep(string CreatedBy, bool EmptyLayer);

/// <summary>
/// What an image's config (image-spec config.md) says of it: its platform, when and by whom it was made, and the
/// history of its layers. Fields the config leaves out are empty.
/// </summary>
public sealed record ImageConfig(
    string Os, string Architecture, string OsVersion, DateTimeOffset? Created, string Author, IReadOnlyList<ImageHistoryStep> History)
{
    /// <summary>The largest config read.</summary>
    public const long MaxSize = 1024 * 1024;

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
                    .Select(s => new ImageHistoryStep(Text(s, "created_by"), s.TryGetProperty("empty_layer", out var empty) && empty.ValueKind == JsonValueKind.True))
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
