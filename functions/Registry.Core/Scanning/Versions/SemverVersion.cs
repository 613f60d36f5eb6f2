using Semver;

namespace Registry.Scanning.Versions;

/// <summary>
/// Semantic versions (npm, crates.io, Go modules with their leading <c>v</c>) ordered by SemVer 2.0 precedence
/// with the Semver library. A version that does not parse is ordered as text after every valid one.
/// </summary>
public sealed class SemverVersion(bool stripV) : IVersionScheme
{
    public string Name => stripV ? "go" : "semver";

    public int Compare(string a, string b)
    {
        var x = Parse(a);
        var y = Parse(b);
        if (x is null || y is null)
        {
            return x is not null ? -1 : y is not null ? 1 : string.CompareOrdinal(a, b);
        }

        return Math.Sign(SemVersion.ComparePrecedence(x, y));
    }

    private SemVersion? Parse(string value)
    {
        var text = stripV && value.StartsWith('v') ? value[1..] : value;
        return SemVersion.TryParse(text, SemVersionStyles.Strict, out var parsed)
            || SemVersion.TryParse(text, SemVersionStyles.Any, out parsed) ? parsed : null;
    }
}
