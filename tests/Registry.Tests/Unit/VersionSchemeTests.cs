using Registry.Scanning.Versions;

namespace Registry.Tests.Unit;

/// <summary>Each ecosystem's version order on the cases that trip naive comparisons. -1: a is older than b.</summary>
public sealed class VersionSchemeTests
{
    [Theory]
    [InlineData("1.0~rc1", "1.0", -1)]            // ~ sorts before the end
    [InlineData("1.0~~", "1.0~", -1)]
    [InlineData("1.0", "1.0+b1", -1)]
    [InlineData("1:1.0", "2.0", 1)]               // the epoch wins
    [InlineData("0:1.0", "1.0", 0)]
    [InlineData("1.2.3", "1.10", -1)]             // numbers, not text
    [InlineData("2.30-1", "2.3-1", 1)]
    [InlineData("1.0a", "1.0", 1)]
    [InlineData("1.0-1", "1.0-2", -1)]
    [InlineData("1.0-1ubuntu1", "1.0-1", 1)]
    [InlineData("1.1.1k-1+deb11u1", "1.1.1k-1", 1)]
    [InlineData("1.1.1n-0+deb11u4", "1.1.1k-1+deb11u2", 1)]
    [InlineData("1.0", "1.0-0", 0)]
    [InlineData("7.74.0-1.3+deb11u7", "7.74.0-1.3+deb11u10", -1)]
    [InlineData("1.2-3-4", "1.2-3-5", -1)]        // the revision is after the last '-'
    public void Dpkg_Compare_OrdersAsDpkg(string a, string b, int expected) =>
        Assert.Equal(expected, Math.Sign(VersionSchemes.Dpkg.Compare(a, b)));

    [Theory]
    [InlineData("1.1.1k-r0", "1.1.1j-r0", 1)]     // the letter
    [InlineData("1.2.3-r1", "1.2.3-r0", 1)]       // the package revision
    [InlineData("1.2_rc1", "1.2", -1)]            // pre-release suffix
    [InlineData("1.2_alpha", "1.2_beta", -1)]
    [InlineData("1.2_beta2", "1.2_beta10", -1)]
    [InlineData("1.2", "1.2_p1", -1)]             // post-release suffix
    [InlineData("1.2_p1", "1.2.1", -1)]
    [InlineData("1.10", "1.9", 1)]
    [InlineData("1.01", "1.1", -1)]               // a leading zero is a fraction
    [InlineData("1.2", "1.2a", -1)]
    [InlineData("1.2.3-r0", "1.2.3-r0", 0)]
    [InlineData("2.2.0_git20200101-r0", "2.2.0-r0", 1)]
    public void Apk_Compare_OrdersAsApkTools(string a, string b, int expected) =>
        Assert.Equal(expected, Math.Sign(VersionSchemes.Apk.Compare(a, b)));

    [Theory]
    [InlineData("1.0", "1.0.1", -1)]
    [InlineData("1.0~rc1", "1.0", -1)]
    [InlineData("1.0^git1", "1.0", 1)]            // ^ after the end
    [InlineData("1.0^git1", "1.0.1", -1)]         // but before anything else
    [InlineData("2:1.0", "1:2.0", 1)]
    [InlineData("1.0-1.el8", "1.0-2.el8", -1)]
    [InlineData("1.10", "1.9", 1)]
    [InlineData("1.0a", "1.0.1", -1)]             // a number is newer than letters
    [InlineData("1.1.1k-7.el8_6", "1.1.1k-5.el8_5", 1)]
    [InlineData("1.0.010", "1.0.10", 0)]          // leading zeros do not count
    [InlineData("1.0_1", "1.0.1", 0)]             // separators only separate
    [InlineData("1.0", "1.0-5", 0)]               // no release on one side: versions only
    public void Rpm_Compare_OrdersAsRpmvercmp(string a, string b, int expected) =>
        Assert.Equal(expected, Math.Sign(VersionSchemes.Rpm.Compare(a, b)));

    [Theory]
    [InlineData("1.0.0-alpha", "1.0.0-alpha.1", -1)]
    [InlineData("1.0.0-alpha.1", "1.0.0-beta", -1)]
    [InlineData("1.0.0-beta.2", "1.0.0-beta.11", -1)]
    [InlineData("1.0.0-rc.1", "1.0.0", -1)]
    [InlineData("1.10.0", "1.9.0", 1)]
    [InlineData("1.0.0+build.1", "1.0.0+build.2", 0)]  // build metadata does not order
    public void Semver_Compare_OrdersByPrecedence(string a, string b, int expected) =>
        Assert.Equal(expected, Math.Sign(VersionSchemes.Semver.Compare(a, b)));

    [Theory]
    [InlineData("v1.2.3", "v1.2.4", -1)]
    [InlineData("v0.0.0-20210101000000-abcdef123456", "v0.1.0", -1)]   // a pseudo-version
    [InlineData("v2.0.0+incompatible", "v2.0.0", 0)]
    public void Go_Compare_OrdersModuleVersions(string a, string b, int expected) =>
        Assert.Equal(expected, Math.Sign(VersionSchemes.Go.Compare(a, b)));

    [Theory]
    [InlineData("1.0.dev1", "1.0a1", -1)]
    [InlineData("1.0a1", "1.0b1", -1)]
    [InlineData("1.0b1", "1.0rc1", -1)]
    [InlineData("1.0rc1", "1.0", -1)]
    [InlineData("1.0", "1.0.post1", -1)]
    [InlineData("1.0", "1.0.0", 0)]
    [InlineData("1!0.1", "2.0", 1)]
    [InlineData("1.0+local.1", "1.0", 1)]
    [InlineData("1.0a1.dev1", "1.0a1", -1)]
    [InlineData("1.0-1", "1.0.post1", 0)]
    [InlineData("1.0c1", "1.0rc1", 0)]
    [InlineData("v1.0", "1.0", 0)]
    [InlineData("1.0.post1.dev1", "1.0.post1", -1)]
    [InlineData("1.0ALPHA1", "1.0a1", 0)]
    [InlineData("2.10", "2.9", 1)]
    [InlineData("1.0+abc.5", "1.0+abc.10", -1)]
    public void Pep440_Compare_OrdersAsPep440(string a, string b, int expected) =>
        Assert.Equal(expected, Math.Sign(VersionSchemes.Pep440.Compare(a, b)));

    [Theory]
    [InlineData("1.0-alpha-1", "1.0", -1)]
    [InlineData("1.0", "1", 0)]
    [InlineData("1.0", "1.0.0", 0)]
    [InlineData("1-ga", "1", 0)]
    [InlineData("1.0.0.RELEASE", "1.0", 0)]
    [InlineData("1.0-SNAPSHOT", "1.0", -1)]
    [InlineData("1.0-rc1", "1.0", -1)]
    [InlineData("1.0-cr1", "1.0-rc1", 0)]
    [InlineData("1.0-sp1", "1.0", 1)]
    [InlineData("1.0-sp1", "1.0.1", -1)]
    [InlineData("1.0a1", "1.0-alpha-1", 0)]
    [InlineData("1.0-beta", "1.0-rc", -1)]
    [InlineData("1.0-xyz", "1.0-sp", 1)]          // unknown qualifiers after the known ones
    [InlineData("2.12.1", "2.9.10", 1)]
    [InlineData("1.0-alpha", "1.0-SNAPSHOT", -1)]
    public void Maven_Compare_OrdersAsComparableVersion(string a, string b, int expected) =>
        Assert.Equal(expected, Math.Sign(VersionSchemes.Maven.Compare(a, b)));

    [Theory]
    [InlineData("1.0.0-beta", "1.0.0", -1)]
    [InlineData("1.0.0", "1.0", 0)]
    [InlineData("1.0.0.1", "1.0.0", 1)]
    [InlineData("4.5.0-preview.2", "4.5.0-preview.10", -1)]
    public void NuGet_Compare_OrdersAsNuGet(string a, string b, int expected) =>
        Assert.Equal(expected, Math.Sign(VersionSchemes.NuGet.Compare(a, b)));

    [Theory]
    [InlineData("Debian:11", "dpkg")]
    [InlineData("Ubuntu:22.04:LTS", "dpkg")]
    [InlineData("Alpine:v3.13", "apk")]
    [InlineData("Rocky Linux:9", "rpm")]
    [InlineData("npm", "semver")]
    [InlineData("Go", "go")]
    [InlineData("PyPI", "pep440")]
    [InlineData("Maven", "maven")]
    [InlineData("NuGet", "nuget")]
    public void ForEcosystem_Known_PicksScheme(string ecosystem, string scheme) =>
        Assert.Equal(scheme, VersionSchemes.ForEcosystem(ecosystem)?.Name);

    [Fact]
    public void ForEcosystem_Unknown_Null() => Assert.Null(VersionSchemes.ForEcosystem("Unknown"));
}
