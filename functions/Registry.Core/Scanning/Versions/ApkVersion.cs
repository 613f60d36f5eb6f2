namespace Registry.Scanning.Versions;

/// <summary>
/// Alpine package versions, <c>number{.number}[letter]{_suffix[number]}[~hash][-r#]</c>, ordered as apk-tools
/// orders them: the numbers (the first numerically; a later one starting with 0 as a decimal fraction), a letter,
/// the suffixes (<c>_alpha &lt; _beta &lt; _pre &lt; _rc &lt;</c> none <c>&lt; _cvs &lt; _svn &lt; _git &lt; _hg &lt; _p</c>),
/// then the package revision <c>-r#</c>.
/// </summary>
public sealed class ApkVersion : IVersionScheme
{
    private static readonly string[] PreSuffixes = ["alpha", "beta", "pre", "rc"];
    private static readonly string[] PostSuffixes = ["cvs", "svn", "git", "hg", "p"];

    public string Name => "apk";

    public int Compare(string a, string b)
    {
        var x = Parse(a);
        var y = Parse(b);
        for (var i = 0; i < Math.Max(x.Numbers.Count, y.Numbers.Count); i++)
        {
            if (i >= x.Numbers.Count)
            {
                return -1;
            }

            if (i >= y.Numbers.Count)
            {
                return 1;
            }

            var number = CompareNumber(x.Numbers[i], y.Numbers[i], first: i == 0);
            if (number != 0)
            {
                return number;
            }
        }

        var letter = x.Letter.CompareTo(y.Letter);
        if (letter != 0)
        {
            return Math.Sign(letter);
        }

        for (var i = 0; i < Math.Max(x.Suffixes.Count, y.Suffixes.Count); i++)
        {
            // A missing suffix ranks as "no suffix": after the pre-release ones, before the post-release ones.
            var (rankA, numberA) = i < x.Suffixes.Count ? x.Suffixes[i] : (0, 0L);
            var (rankB, numberB) = i < y.Suffixes.Count ? y.Suffixes[i] : (0, 0L);
            if (rankA != rankB)
            {
                return rankA.CompareTo(rankB);
            }

            if (numberA != numberB)
            {
                return numberA.CompareTo(numberB);
            }
        }

        return x.Revision.CompareTo(y.Revision);
    }

    private static int CompareNumber(string a, string b, bool first)
    {
        if (!first && (a.StartsWith('0') || b.StartsWith('0')))
        {
            // apk compares such components as fractions: 1.01 < 1.1, 1.010 > 1.01.
            var x = a.TrimEnd('0');
            var y = b.TrimEnd('0');
            return Math.Sign(string.CompareOrdinal(x, y));
        }

        var p = a.TrimStart('0');
        var q = b.TrimStart('0');
        return p.Length != q.Length ? p.Length.CompareTo(q.Length) : Math.Sign(string.CompareOrdinal(p, q));
    }

    private sealed record Parsed(List<string> Numbers, char Letter, List<(int Rank, long Number)> Suffixes, long Revision);

    private static Parsed Parse(string version)
    {
        var revision = 0L;
        var dash = version.LastIndexOf("-r", StringComparison.Ordinal);
        if (dash >= 0 && long.TryParse(version.AsSpan(dash + 2), out var r))
        {
            revision = r;
            version = version[..dash];
        }

        var tilde = version.IndexOf('~', StringComparison.Ordinal);
        if (tilde >= 0)
        {
            version = version[..tilde];   // ~<commit hash>: not ordered
        }

        var underscore = version.IndexOf('_', StringComparison.Ordinal);
        var main = underscore >= 0 ? version[..underscore] : version;
        var letter = '\0';
        if (main.Length > 0 && char.IsAsciiLetterLower(main[^1]))
        {
            letter = main[^1];
            main = main[..^1];
        }

        var numbers = main.Split('.').ToList();
        var suffixes = new List<(int, long)>();
        if (underscore >= 0)
        {
            foreach (var suffix in version[(underscore + 1)..].Split('_'))
            {
                var name = suffix.TrimEnd("0123456789".ToCharArray());
                long.TryParse(suffix.AsSpan(name.Length), out var n);
                var pre = Array.IndexOf(PreSuffixes, name);
                var post = Array.IndexOf(PostSuffixes, name);
                suffixes.Add((pre >= 0 ? pre - PreSuffixes.Length : post >= 0 ? post + 1 : 0, n));
            }
        }

        return new Parsed(numbers, letter, suffixes, revision);
    }
}
