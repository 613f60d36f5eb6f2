using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Registry.Oci;

namespace Registry.Trust;

/// <summary>
/// A Notary globally unique name: <c>&lt;registry host&gt;/&lt;namespace&gt;/&lt;repo&gt;</c> as docker and the Notary client name a
/// repository's trust data. The host part (a component with a dot or a port, or <c>localhost</c>) is kept as given; the
/// rest must be a repository name of this registry, whose permissions apply.
/// </summary>
public sealed partial record Gun(string Host, RepositoryName Repository)
{
    public override string ToString() => Host.Length == 0 ? Repository.Value : $"{Host}/{Repository.Value}";

    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out Gun? gun)
    {
        gun = null;
        if (string.IsNullOrEmpty(value) || value.Length > 512)
        {
            return false;
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? value : value[..slash];
        var isHost = slash > 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost");
        if (isHost && !HostGrammar().IsMatch(first))
        {
            return false;
        }

        if (!RepositoryName.TryParse(isHost ? value[(slash + 1)..] : value, out var name))
        {
            return false;
        }

        gun = new Gun(isHost ? first : "", name);
        return true;
    }

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?$", RegexOptions.CultureInvariant)]
    private static partial Regex HostGrammar();
}
