namespace Registry.Scanning.Versions;

/// <summary>
/// RPM versions, <c>[epoch:]version[-release]</c>, ordered as rpm's rpmvercmp: segments of digits or letters
/// (other characters only separate them), digits newer than letters, numbers compared numerically, <c>~</c>
/// older than anything (even the end) and <c>^</c> newer than the end but older than anything else.
/// </summary>
public sealed class RpmVersion : IVersionScheme
{
    public string Name => "rpm";

    public int Compare(string a, string b)
    {
        var (epochA, versionA, releaseA) = EpochVersion.Split(a);
        var (epochB, versionB, releaseB) = EpochVersion.Split(b);
        var epoch = epochA.CompareTo(epochB);
        if (epoch != 0)
        {
            return epoch;
        }

        var version = VerCmp(versionA, versionB);
        return version != 0 || releaseA is null || releaseB is null ? version : VerCmp(releaseA, releaseB);
    }

    /// <summary>rpmvercmp.</summary>
    internal static int VerCmp(string a, string b)
    {
        if (a == b)
        {
            return 0;
        }

        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            while (i < a.Length && !char.IsAsciiLetterOrDigit(a[i]) && a[i] is not ('~' or '^'))
            {
                i++;
            }

            while (j < b.Length && !char.IsAsciiLetterOrDigit(b[j]) && b[j] is not ('~' or '^'))
            {
                j++;
            }

            var tildeA = i < a.Length && a[i] == '~';
            var tildeB = j < b.Length && b[j] == '~';
            if (tildeA || tildeB)
            {
                if (!tildeA)
                {
                    return 1;
                }

                if (!tildeB)
                {
                    return -1;
                }

                i++;
                j++;
                continue;
            }

            var caretA = i < a.Length && a[i] == '^';
            var caretB = j < b.Length && b[j] == '^';
            if (caretA || caretB)
            {
                if (i >= a.Length)
                {
                    return -1;
                }

                if (j >= b.Length)
                {
                    return 1;
                }

                if (!caretA)
                {
                    return 1;
                }

                if (!caretB)
                {
                    return -1;
                }

                i++;
                j++;
                continue;
            }

            if (i >= a.Length || j >= b.Length)
            {
                break;
            }

            var numeric = char.IsAsciiDigit(a[i]);
            var segA = Segment(a, ref i, numeric);
            var segB = Segment(b, ref j, numeric);
            if (segB.Length == 0)
            {
                return numeric ? 1 : -1;   // the segments are of different kinds: a number is newer
            }

            int result;
            if (numeric)
            {
                var x = segA.TrimStart('0');
                var y = segB.TrimStart('0');
                result = x.Length != y.Length ? x.Length.CompareTo(y.Length) : string.CompareOrdinal(x, y);
            }
            else
            {
                result = string.CompareOrdinal(segA, segB);
            }

            if (result != 0)
            {
                return Math.Sign(result);
            }
        }

        var restA = i < a.Length;
        var restB = j < b.Length;
        return restA == restB ? 0 : restA ? 1 : -1;
    }

    private static string Segment(string s, ref int index, bool numeric)
    {
        var start = index;
        while (index < s.Length && (numeric ? char.IsAsciiDigit(s[index]) : char.IsAsciiLetter(s[index])))
        {
            index++;
        }

        return s[start..index];
    }
}
