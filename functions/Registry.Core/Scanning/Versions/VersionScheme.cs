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
