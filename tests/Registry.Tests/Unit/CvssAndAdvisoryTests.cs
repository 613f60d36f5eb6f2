using Registry.Scanning;
using Registry.Scanning.Osv;
using Registry.Scanning.Versions;

namespace Registry.Tests.Unit;

/// <summary>CVSS v3 base scores and DTR's bands; OSV range evaluation and fixed versions.</summary>
public sealed class CvssAndAdvisoryTests
{
    [Theory]
    [InlineData("Red Hat:enterprise_linux:8::appstream", "Red Hat:enterprise_linux:8")]
    [InlineData("Red Hat:enterprise_linux:7::server", "Red Hat:enterprise_linux:7")]
    [InlineData("Red Hat:rhel_aus:8.2::baseos", "Red Hat:rhel_aus:8.2::baseos")]
    [InlineData("Ubuntu:22.04:LTS", "Ubuntu:22.04")]
    [InlineData("Debian:12", "Debian:12")]
    public void NormalizeEcosystem_ProductStreamsAndQualifiers_OneShardPerRelease(string ecosystem, string expected) =>
        Assert.Equal(expected, Advisory.NormalizeEcosystem(ecosystem));

    [Theory]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0)]   // scope changed, capped at 10
    [InlineData("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9)]
    [InlineData("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2)]
    [InlineData("CVSS:3.0/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6)]
    [InlineData("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0)]
    public void BaseScore_Vector_MatchesSpecification(string vector, double expected) =>
        Assert.Equal(expected, Cvss.BaseScore(vector));

    [Theory]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")]
    [InlineData("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]
    [InlineData("CVSS:3.1/AV:N/AC:L")]
    [InlineData("AV:N/AC:L/Au:N/C:P/I:P/A:P")]
    [InlineData(null)]
    public void BaseScore_NotAV3Vector_Null(string? vector) => Assert.Null(Cvss.BaseScore(vector));

    [Theory]
    [InlineData(9.8, "critical")]
    [InlineData(7.0, "critical")]
    [InlineData(6.9, "major")]
    [InlineData(4.0, "major")]
    [InlineData(3.9, "minor")]
    [InlineData(0.1, "minor")]
    [InlineData(0.0, null)]
    public void Band_Score_DtrBands(double score, string? band) => Assert.Equal(band, Cvss.Band(score));

    private static Advisory With(params OsvEvent[][] ranges) =>
        new("X-1", [], null, null, null, null, "https://example.test", ranges.Select(r => (IReadOnlyList<OsvEvent>)r).ToList(), []);

    private static OsvEvent Introduced(string v) => new(v, null, null, null);

    private static OsvEvent Fixed(string v) => new(null, v, null, null);

    private static OsvEvent LastAffected(string v) => new(null, null, v, null);

    [Theory]
    [InlineData("1.1.1j-r0", true)]
    [InlineData("1.1.1k-r0", false)]    // the fixed version is not affected
    [InlineData("1.1.1k-r1", false)]
    [InlineData("0.9.8-r0", true)]
    public void Affects_IntroducedZeroFixed_BelowFixOnly(string version, bool expected) =>
        Assert.Equal(expected, With([Introduced("0"), Fixed("1.1.1k-r0")]).Affects(version, VersionSchemes.Apk));

    [Theory]
    [InlineData("1.5.0", false)]
    [InlineData("2.0.0", true)]
    [InlineData("2.5.0", false)]        // between the fix and the reintroduction
    [InlineData("3.1.0", true)]
    [InlineData("3.2.0", true)]         // last_affected is affected
    [InlineData("3.2.1", false)]
    public void Affects_SeveralEvents_EvaluatedInVersionOrder(string version, bool expected) =>
        Assert.Equal(expected, With([Fixed("2.5.0"), Introduced("2.0.0"), Introduced("3.0.0"), LastAffected("3.2.0")]).Affects(version, VersionSchemes.Semver));

    [Fact]
    public void FixedVersion_TwoRanges_LowestAboveTheVersion()
    {
        // Arrange
        var advisory = With([Introduced("2.0-beta9"), Fixed("2.3.1")], [Introduced("2.13.0"), Fixed("2.15.0")]);

        // Act and assert
        Assert.True(advisory.Affects("2.14.1", VersionSchemes.Maven));
        Assert.Equal("2.15.0", advisory.FixedVersion("2.14.1", VersionSchemes.Maven));
        Assert.Equal("2.3.1", advisory.FixedVersion("2.1", VersionSchemes.Maven));
        Assert.False(advisory.Affects("2.5", VersionSchemes.Maven));
    }

    [Fact]
    public void Affects_ListedVersion_AffectedWithoutRanges() =>
        Assert.True(new Advisory("X-2", [], null, null, null, null, "l", [], ["1.0.3"]).Affects("1.0.3", VersionSchemes.Semver));
}
