using NuGet.Versioning;

namespace Registry.Scanning.Versions;

/// <summary>NuGet package versions, ordered by NuGet's own comparer (NuGet.Versioning).</summary>
public sealed class NuGetVersionScheme : IVersionScheme
{
    public string Name => "nuget";

    public int Compare(string a, string b)
    {
        var okA = NuGetVersion.TryParse(a, out var x);
        var okB = NuGetVersion.TryParse(b, out var y);
        return okA && okB ? Math.Sign(VersionComparer.Default.Compare(x, y)) : okA ? -1 : okB ? 1 : string.CompareOrdinal(a, b);
    }
}
