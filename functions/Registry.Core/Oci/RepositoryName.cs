using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Registry.Oci;

/// <summary>
/// A repository name (distribution-spec "Pulling manifests": <c>&lt;name&gt;</c>):
/// path components of <c>[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*</c> joined by <c>/</c>, at most 255 characters in all.
/// </summary>
public readonly partial record struct RepositoryName
{
    public const int MaxLength = 255;

    private RepositoryName(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    public static bool TryParse([NotNullWhen(true)] string? value, out RepositoryName name)
    {
        name = default;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength || !NameGrammar().IsMatch(value))
        {
            return false;
        }

        name = new RepositoryName(value);
        return true;
    }

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NameGrammar();
}
