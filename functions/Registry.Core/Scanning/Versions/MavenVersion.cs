using System.Numerics;

namespace Registry.Scanning.Versions;

/// <summary>
/// Maven versions, ordered as Maven's ComparableVersion: items split at '.', at '-' (which opens a sub-list) and
/// between digits and letters; numbers compared numerically; qualifiers ordered
/// <c>alpha &lt; beta &lt; milestone &lt; rc = cr &lt; snapshot &lt; "" = ga = final = release &lt; sp</c>, then
/// unknown ones as text; a number is newer than any qualifier; trailing zeros and empty qualifiers do not count
/// (1.0 = 1 = 1.0.0 = 1-ga).
/// </summary>
public sealed class MavenVersion : IVersionScheme
{
    private static readonly string[] Qualifiers = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

    public string Name => "maven";

    public int Compare(string a, string b) => Math.Sign(CompareItem(Parse(a), Parse(b)));

    private abstract record Item;

    private sealed record Number(BigInteger Value) : Item;

    private sealed record Text(string Value) : Item;

    private sealed record ItemList(List<Item> Items) : Item;

    private static ItemList Parse(string version)
    {
        var root = new ItemList([]);
        var list = root;
        var stack = new Stack<ItemList>();
        stack.Push(root);
        var text = version.ToLowerInvariant();
        var start = 0;
        var isDigit = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.')
            {
                list.Items.Add(i == start ? new Number(0) : MakeItem(isDigit, text[start..i]));
                start = i + 1;
            }
            else if (c == '-')
            {
                list.Items.Add(i == start ? new Number(0) : MakeItem(isDigit, text[start..i]));
                start = i + 1;
                var sub = new ItemList([]);
                list.Items.Add(sub);
                list = sub;
            }
            else if (char.IsAsciiDigit(c))
            {
                if (!isDigit && i > start)
                {
                    // a letter run followed by digits: "a1" is "alpha-1", as Maven reads it
                    list.Items.Add(new Text(Alias(text[start..i], followedByDigit: true)));
                    start = i;
                    var sub = new ItemList([]);
                    list.Items.Add(sub);
                    list = sub;
                }

                isDigit = true;
            }
            else
            {
                if (isDigit && i > start)
                {
                    list.Items.Add(MakeItem(true, text[start..i]));
                    start = i;
                    var sub = new ItemList([]);
                    list.Items.Add(sub);
                    list = sub;
                }

                isDigit = false;
            }
        }

        if (text.Length > start)
        {
            list.Items.Add(MakeItem(isDigit, text[start..]));
        }

        Normalize(root);
        return root;
    }

    private static Item MakeItem(bool isDigit, string value) =>
        isDigit ? new Number(BigInteger.Parse(value, System.Globalization.CultureInfo.InvariantCulture)) : new Text(Alias(value, followedByDigit: false));

    private static string Alias(string value, bool followedByDigit) => value switch
    {
        "a" when followedByDigit => "alpha",
        "b" when followedByDigit => "beta",
        "m" when followedByDigit => "milestone",
        "ga" or "final" or "release" => "",
        "cr" => "rc",
        _ => value,
    };

    /// <summary>Drops trailing "null" items (0, empty qualifiers, empty lists) from every list, innermost first.</summary>
    private static void Normalize(ItemList list)
    {
        foreach (var sub in list.Items.OfType<ItemList>())
        {
            Normalize(sub);
        }

        for (var i = list.Items.Count - 1; i >= 0; i--)
        {
            if (IsNull(list.Items[i]))
            {
                list.Items.RemoveAt(i);
            }
            else if (list.Items[i] is not ItemList)
            {
                break;
            }
        }
    }

    private static bool IsNull(Item item) => item switch
    {
        Number n => n.Value.IsZero,
        Text t => t.Value.Length == 0,
        ItemList l => l.Items.Count == 0,
        _ => false,
    };

    /// <summary>ComparableVersion's compareTo of one item with another (null: the other list ended).</summary>
    private static int CompareItem(Item? a, Item? b) => (a, b) switch
    {
        (null, null) => 0,
        (null, _) => -CompareItem(b, null),
        (Number x, null) => x.Value.IsZero ? 0 : 1,
        (Number x, Number y) => x.Value.CompareTo(y.Value),
        (Number, _) => 1,
        (Text x, null) => string.CompareOrdinal(Comparable(x.Value), Comparable("")),
        (Text, Number) => -1,
        (Text x, Text y) => string.CompareOrdinal(Comparable(x.Value), Comparable(y.Value)),
        (Text, ItemList) => -1,
        (ItemList x, null) => x.Items.Count == 0 ? 0 : CompareItem(x.Items[0], null),
        (ItemList, Number) => -1,
        (ItemList, Text) => 1,
        (ItemList x, ItemList y) => CompareLists(x.Items, y.Items),
        _ => 0,
    };

    private static int CompareLists(List<Item> a, List<Item> b)
    {
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var c = CompareItem(i < a.Count ? a[i] : null, i < b.Count ? b[i] : null);
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    /// <summary>The sortable form of a qualifier: its rank among the known ones, else after them all as text.</summary>
    private static string Comparable(string qualifier)
    {
        var index = Array.IndexOf(Qualifiers, qualifier);
        return index >= 0 ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Qualifiers.Length}-{qualifier}";
    }
}
