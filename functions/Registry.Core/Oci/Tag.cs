using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Registry.Oci;

/// <summary>A tag: <c>[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}</c> (distribution-spec "Pulling manifests").</summary>
public readonly partial record struct Tag
{
    private Tag(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    public static bool TryParse([NotNullWhen(true)] string? value, out Tag tag)
    {
        tag = default;
        if (value is null || !TagGrammar().IsMatch(value))
        {
            return false;
        }

        tag = new Tag(value);
        return true;
    }

    [GeneratedRegex("^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex TagGrammar();
}
