using System.Text;
using System.Text.Json;

namespace Registry.Trust;

/// <summary>
/// The canonical JSON that TUF signatures cover, as the Notary client writes it (docker/go canonical/json): object
/// keys sorted by their UTF-8 bytes, no whitespace, strings with only <c>"</c> and <c>\</c> escaped, integers only.
/// Duplicate keys are refused: two readers must never see two different documents in one file.
/// </summary>
public static class CanonicalJson
{
    /// <summary>The canonical bytes of <paramref name="element"/>; throws <see cref="FormatException"/> for what has none.</summary>
    public static byte[] Serialize(JsonElement element)
    {
        using var stream = new MemoryStream();
        Write(element, stream);
        return stream.ToArray();
    }

    private static void Write(JsonElement element, MemoryStream output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new List<(byte[] Key, JsonElement Value)>();
                foreach (var property in element.EnumerateObject())
                {
                    properties.Add((Encoding.UTF8.GetBytes(property.Name), property.Value));
                }

                properties.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
                output.WriteByte((byte)'{');
                for (var i = 0; i < properties.Count; i++)
                {
                    if (i > 0)
                    {
                        if (properties[i].Key.AsSpan().SequenceEqual(properties[i - 1].Key))
                        {
                            throw new FormatException($"the key \"{Encoding.UTF8.GetString(properties[i].Key)}\" appears twice in one object");
                        }

                        output.WriteByte((byte)',');
                    }

                    WriteString(properties[i].Key, output);
                    output.WriteByte((byte)':');
                    Write(properties[i].Value, output);
                }

                output.WriteByte((byte)'}');
                break;
            case JsonValueKind.Array:
                output.WriteByte((byte)'[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        output.WriteByte((byte)',');
                    }

                    first = false;
                    Write(item, output);
                }

                output.WriteByte((byte)']');
                break;
            case JsonValueKind.String:
                WriteString(Encoding.UTF8.GetBytes(element.GetString()!), output);
                break;
            case JsonValueKind.Number:
                if (!element.TryGetInt64(out var number))
                {
                    throw new FormatException($"canonical JSON has integers only, not {element.GetRawText()}");
                }

                output.Write(Encoding.ASCII.GetBytes(number.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            default:
                output.Write("null"u8);
                break;
        }
    }

    private static void WriteString(byte[] utf8, MemoryStream output)
    {
        output.WriteByte((byte)'"');
        foreach (var b in utf8)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                output.WriteByte((byte)'\\');
            }

            output.WriteByte(b);
        }

        output.WriteByte((byte)'"');
    }
}
