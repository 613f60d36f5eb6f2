using System.Globalization;

namespace Registry.Records;

/// <summary>Ids that sort newest first and carry their time: <c>&lt;inverted ticks, 19 digits&gt;-&lt;8 hex&gt;</c> (jobs, audit entries).</summary>
public static partial class SortableId
{
    public static string NewestFirst(DateTimeOffset at) => $"{Prefix(at)}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>What every id made at <paramref name="at"/> starts with; ids made before it sort after it.</summary>
    public static string Prefix(DateTimeOffset at) => (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    public static bool IsValid(string id) => Pattern().IsMatch(id);

    [System.Text.RegularExpressions.GeneratedRegex("^[0-9]{19}-[0-9a-f]{8}$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}
