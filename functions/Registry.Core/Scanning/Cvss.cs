using Registry.Scanning.Osv;

namespace Registry.Scanning;

/// <summary>
/// CVSS v3.0 and v3.1 base scores from their vector strings (FIRST's specification, section 7), and DTR's bands:
/// critical at 7 and above, major from 4 to below 7, minor above 0 and below 4.
/// </summary>
public static class Cvss
{
    /// <summary>The base score of a <c>CVSS:3.x/AV:…</c> vector; null for another version or a malformed vector.</summary>
    public static double? BaseScore(string? vector)
    {
        if (vector is null || !(vector.StartsWith("CVSS:3.0/", StringComparison.Ordinal) || vector.StartsWith("CVSS:3.1/", StringComparison.Ordinal)))
        {
            return null;
        }

        var metrics = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in vector.Split('/').Skip(1))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            metrics[part[..colon]] = part[(colon + 1)..];
        }

        if (!metrics.TryGetValue("S", out var scope) || scope is not ("U" or "C"))
        {
            return null;
        }

        var changed = scope == "C";
        double? Weight(string metric) => (metric, metrics.GetValueOrDefault(metric)) switch
        {
            ("AV", "N") => 0.85, ("AV", "A") => 0.62, ("AV", "L") => 0.55, ("AV", "P") => 0.2,
            ("AC", "L") => 0.77, ("AC", "H") => 0.44,
            ("PR", "N") => 0.85, ("PR", "L") => changed ? 0.68 : 0.62, ("PR", "H") => changed ? 0.5 : 0.27,
            ("UI", "N") => 0.85, ("UI", "R") => 0.62,
            ("C" or "I" or "A", "H") => 0.56, ("C" or "I" or "A", "L") => 0.22, ("C" or "I" or "A", "N") => 0.0,
            _ => null,
        };

        if (Weight("AV") is not { } av || Weight("AC") is not { } ac || Weight("PR") is not { } pr || Weight("UI") is not { } ui
            || Weight("C") is not { } c || Weight("I") is not { } i || Weight("A") is not { } a)
        {
            return null;
        }

        var iss = 1 - ((1 - c) * (1 - i) * (1 - a));
        var impact = changed ? (7.52 * (iss - 0.029)) - (3.25 * Math.Pow(iss - 0.02, 15)) : 6.42 * iss;
        var exploitability = 8.22 * av * ac * pr * ui;
        if (impact <= 0)
        {
            return 0;
        }

        return RoundUp(Math.Min(changed ? 1.08 * (impact + exploitability) : impact + exploitability, 10));
    }

    /// <summary>CVSS 3.1's Roundup: the smallest number with one decimal that is not below the input.</summary>
    private static double RoundUp(double value)
    {
        var scaled = (long)Math.Round(value * 100000);
        return scaled % 10000 == 0 ? scaled / 100000.0 : (Math.Floor(scaled / 10000.0) + 1) / 10.0;
    }

    /// <summary>
    /// The counts in DTR's bands of the distinct vulnerabilities among <paramref name="advisories"/> (one per
    /// <see cref="Advisory.CveKey"/>, at its highest score), and the highest score.
    /// </summary>
    public static (int Critical, int Major, int Minor, double Max) Tally(IEnumerable<Advisory> advisories)
    {
        var worst = advisories.GroupBy(a => a.CveKey).Select(g => g.Max(a => a.CvssScore ?? 0)).ToList();
        return (worst.Count(s => Band(s) == "critical"), worst.Count(s => Band(s) == "major"), worst.Count(s => Band(s) == "minor"),
            worst.Count > 0 ? worst.Max() : 0);
    }

    /// <summary>DTR's severity band of a score: critical, major, minor, or null for none.</summary>
    public static string? Band(double score) => score >= 7 ? "critical" : score >= 4 ? "major" : score > 0 ? "minor" : null;
}
