namespace Registry.Scanning.Versions;

/// <summary>How one ecosystem orders its versions. Compare returns less than zero when a is older than b.</summary>
public interface IVersionScheme
{
    string Name { get; }

    int Compare(string a, string b);
}

/// <summary>The version scheme of each OSV ecosystem (the part of <c>affected.package.ecosystem</c> before ':').</summary>
public static class VersionSchemes
{
    public static readonly IVersionScheme Dpkg = new DpkgVersion();
    public static readonly IVersionScheme Apk = new ApkVersion();
    public static readonly IVersionScheme Rpm = new RpmVersion();
    public static readonly IVersionScheme Semver = new SemverVersion(stripV: false);
    public static readonly IVersionScheme Go = new SemverVersion(stripV: true);
    public static readonly IVersionScheme Pep440 = new Pep440Version();
    public static readonly IVersionScheme Maven = new MavenVersion();
    public static readonly IVersionScheme NuGet = new NuGetVersionScheme();

    /// <summary>The scheme of an OSV ecosystem such as <c>Debian:11</c> or <c>PyPI</c>; null for one not supported.</summary>
    public static IVersionScheme? ForEcosystem(string ecosystem) => (ecosystem.Split(':')[0]) switch
    {
        "Debian" or "Ubuntu" => Dpkg,
        "Alpine" or "Wolfi" or "Chainguard" => Apk,
        "Red Hat" or "Rocky Linux" or "AlmaLinux" or "openSUSE" or "SUSE" or "Mageia" or "openEuler" => Rpm,
        "npm" or "crates.io" or "Hex" or "Pub" => Semver,
        "Go" => Go,
        "PyPI" => Pep440,
        "Maven" => Maven,
        "NuGet" => NuGet,
        _ => null,
    };
}

/// <summary><c>[epoch:]version[-release]</c>, as dpkg and rpm write their versions.</summary>
internal static class EpochVersion
{
    /// <summary>The parts: a missing or unreadable epoch is 0; the release is null when there is none.</summary>
    public static (long Epoch, string Version, string? Release) Split(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var epoch = colon > 0 && long.TryParse(value.AsSpan(0, colon), out var e) ? e : 0;
        var rest = colon >= 0 ? value[(colon + 1)..] : value;
        var dash = rest.LastIndexOf('-');
        return dash >= 0 ? (epoch, rest[..dash], rest[(dash + 1)..]) : (epoch, rest, null);
    }
}
