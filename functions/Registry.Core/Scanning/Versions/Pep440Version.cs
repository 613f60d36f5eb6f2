using System.Globalization;
using System.Text.RegularExpressions;

namespace Registry.Scanning.Versions;

/// <summary>
/// Python package versions (PEP 440): <c>[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]</c> with the spelling
/// variants PEP 440 normalizes (alpha, beta, c, pre, preview, rev, r, -N, separators, a leading v). Ordered by
/// epoch, release (trailing zeros ignored), then dev releases before pre-releases before the final release before
/// post-releases, then the local label. A version that does not parse sorts as text after every valid one.
/// </summary>
public sealed partial class Pep440Version : IVersionScheme
{
    public string Name => "pep440";

    public int Compare(string a, string b)
    {
        var x = Parse(a);
        var y = Parse(b);
        if (x is null || y is null)
        {
            return x is not null ? -1 : y is not null ? 1 : string.CompareOrdinal(a, b);
        }

        var c = x.Epoch.CompareTo(y.Epoch);
        if (c != 0)
        {
            return c;
        }

        c = CompareRelease(x.Release, y.Release);
        if (c != 0)
        {
            return c;
        }

        c = x.PreKey.CompareTo(y.PreKey);
        if (c != 0)
        {
            return c;
        }

        c = x.Post.CompareTo(y.Post);
        if (c != 0)
        {
            return c;
        }

        c = x.Dev.CompareTo(y.Dev);
        return c != 0 ? c : CompareLocal(x.Local, y.Local);
    }

    /// <summary>A parsed version; the keys already encode where an absent part sorts.</summary>
    private sealed record Parsed(long Epoch, long[] Release, (int Phase, long Number) PreKey, long Post, long Dev, string[] Local);

    private static Parsed? Parse(string value)
    {
        var m = Grammar().Match(value.Trim().ToLowerInvariant());
        if (!m.Success)
        {
            return null;
        }

        long Number(Group g) => g.Success && g.Value.Length > 0 ? long.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
        var release = m.Groups["release"].Value.Split('.').Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var hasPre = m.Groups["pre_l"].Success;
        var hasPost = m.Groups["post_l"].Success || m.Groups["post_n1"].Success;
        var hasDev = m.Groups["dev_l"].Success;
        var phase = m.Groups["pre_l"].Value switch
        {
            "a" or "alpha" => 0,
            "b" or "beta" => 1,
            _ => 2,   // c, rc, pre, preview
        };
        // As packaging's _cmpkey: a dev release alone sorts before every pre-release; no pre-release after them all.
        var preKey = hasPre ? (phase, Number(m.Groups["pre_n"]))
            : hasDev && !hasPost ? (int.MinValue, 0L)
            : (int.MaxValue, 0L);
        var post = hasPost ? (m.Groups["post_n1"].Success ? Number(m.Groups["post_n1"]) : Number(m.Groups["post_n2"])) : -1;
        var dev = hasDev ? Number(m.Groups["dev_n"]) : long.MaxValue;
        var local = m.Groups["local"].Success ? m.Groups["local"].Value.Split('.', '_', '-') : [];
        return new Parsed(Number(m.Groups["epoch"]), release, preKey, post, dev, local);
    }

    private static int CompareRelease(long[] a, long[] b)
    {
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var c = (i < a.Length ? a[i] : 0).CompareTo(i < b.Length ? b[i] : 0);
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    /// <summary>No local label sorts first; numeric segments after alphanumeric ones; numbers numerically.</summary>
    private static int CompareLocal(string[] a, string[] b)
    {
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            if (i >= a.Length)
            {
                return -1;
            }

            if (i >= b.Length)
            {
                return 1;
            }

            var numA = long.TryParse(a[i], NumberStyles.None, CultureInfo.InvariantCulture, out var x);
            var numB = long.TryParse(b[i], NumberStyles.None, CultureInfo.InvariantCulture, out var y);
            var c = numA && numB ? x.CompareTo(y) : numA ? 1 : numB ? -1 : string.CompareOrdinal(a[i], b[i]);
            if (c != 0)
            {
                return Math.Sign(c);
            }
        }

        return 0;
    }

    // The regular expression of PEP 440's appendix ("Parsing version strings with regular expressions").
    [GeneratedRegex(@"^v?(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)" +
        @"(?:[-_\.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?<pre_n>[0-9]+)?)?" +
        @"(?:(?:-(?<post_n1>[0-9]+))|(?:[-_\.]?(?<post_l>post|rev|r)[-_\.]?(?<post_n2>[0-9]+)?))?" +
        @"(?:[-_\.]?(?<dev_l>dev)[-_\.]?(?<dev_n>[0-9]+)?)?" +
        @"(?:\+(?<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}
