namespace Registry.Dtr;

/// <summary>DTR's paging of a list read whole: by a key, from <c>pageStart</c>, the next page's key sent as <c>X-Next-Page-Start</c>.</summary>
public static class Paging
{
    /// <summary>The items from <paramref name="pageStart"/> on in key order, at most <paramref name="pageSize"/>, and the key that starts the next page.</summary>
    public static (IReadOnlyList<T> Page, string? Next) Page<T>(IEnumerable<T> items, Func<T, string> key, string? pageStart, int pageSize)
    {
        var rows = items
            .Where(item => pageStart is null || string.CompareOrdinal(key(item), pageStart) >= 0)
            .OrderBy(key, StringComparer.Ordinal)
            .Take(pageSize + 1)
            .ToList();
        return (rows.Take(pageSize).ToList(), rows.Count > pageSize ? key(rows[pageSize]) : null);
    }
}
