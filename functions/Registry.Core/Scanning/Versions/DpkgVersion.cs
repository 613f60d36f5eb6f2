namespace Registry.Scanning.Versions;

/// <summary>
/// Debian package versions, <c>[epoch:]upstream[-revision]</c>, ordered as dpkg orders them (deb-version(7)):
/// the epoch numerically, then upstream and revision by alternating non-digit runs (letters before other
/// characters, <c>~</c> before everything, even the end) and digit runs compared numerically.
/// </summary>
public sealed class DpkgVersion : IVersionScheme
{
    public string Name => "dpkg";

    public int Compare(string a, string b)
    {
        var (epochA, upstreamA, revisionA) = EpochVersion.Split(a);
        var (epochB, upstreamB, revisionB) = EpochVersion.Split(b);
        var epoch = epochA.CompareTo(epochB);
        if (epoch != 0)
        {
            return epoch;
        }

        var upstream = CompareParts(upstreamA, upstreamB);
        return upstream != 0 ? upstream : CompareParts(revisionA ?? "", revisionB ?? "");
    }

    /// <summary>dpkg's verrevcmp.</summary>
    internal static int CompareParts(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            while ((i < a.Length && !char.IsAsciiDigit(a[i])) || (j < b.Length && !char.IsAsciiDigit(b[j])))
            {
                var ac = Order(a, i);
                var bc = Order(b, j);
                if (ac != bc)
                {
                    return ac.CompareTo(bc);
                }

                i++;
                j++;
            }

            while (i < a.Length && a[i] == '0')
            {
                i++;
            }

            while (j < b.Length && b[j] == '0')
            {
                j++;
            }

            var firstDiff = 0;
            while (i < a.Length && j < b.Length && char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                if (firstDiff == 0)
                {
                    firstDiff = a[i] - b[j];
                }

                i++;
                j++;
            }

            if (i < a.Length && char.IsAsciiDigit(a[i]))
            {
                return 1;
            }

            if (j < b.Length && char.IsAsciiDigit(b[j]))
            {
                return -1;
            }

            if (firstDiff != 0)
            {
                return Math.Sign(firstDiff);
            }
        }

        return 0;
    }

    private static int Order(string s, int index)
    {
        if (index >= s.Length)
        {
            return 0;
        }

        var c = s[index];
        return char.IsAsciiDigit(c) ? 0 : char.IsAsciiLetter(c) ? c : c == '~' ? -1 : c + 256;
    }
}
