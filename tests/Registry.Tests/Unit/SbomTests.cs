using Registry.Scanning;

namespace Registry.Tests.Unit;

/// <summary>Package URLs of the SBOM, per purl-spec type.</summary>
public sealed class SbomTests
{
    private static readonly OsRelease Alpine = new("alpine", "3.13.5");

    [Theory]
    [InlineData("apk", "libssl1.1", "1.1.1j-r0", "pkg:apk/alpine/libssl1.1@1.1.1j-r0?distro=alpine-3.13.5")]
    [InlineData("npm", "@babel/core", "7.0.0", "pkg:npm/%40babel/core@7.0.0")]
    [InlineData("npm", "lodash", "4.17.15", "pkg:npm/lodash@4.17.15")]
    [InlineData("pypi", "URLLib3", "1.26.4", "pkg:pypi/urllib3@1.26.4")]
    [InlineData("maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")]
    [InlineData("go", "golang.org/x/text", "v0.3.5", "pkg:golang/golang.org/x/text@v0.3.5")]
    [InlineData("go", "example.com/app", "(devel)", "pkg:golang/example.com/app")]
    [InlineData("nuget", "Newtonsoft.Json", "12.0.1", "pkg:nuget/Newtonsoft.Json@12.0.1")]
    public void Purl_Component_PurlSpecForm(string type, string name, string version, string expected) =>
        Assert.Equal(expected, Sbom.Purl(new Component(type, name, version, "x", "p"), Alpine));

    [Theory]
    [InlineData("deb", "libssl3", "3.0.11-1~deb12u2", "openssl", "debian", "12", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&upstream=openssl")]
    [InlineData("deb", "zlib1g", "1:1.2.13.dfsg-1", "zlib1g", "debian", "12", "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?distro=debian-12")]
    [InlineData("rpm", "openssl-libs", "1:3.0.7-24.el9", "openssl", "rocky", "9.3", "pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?distro=rocky-9.3&epoch=1&upstream=openssl")]
    [InlineData("rpm", "bash", "5.1.8-6.el9", "bash", "almalinux", "9.3", "pkg:rpm/almalinux/bash@5.1.8-6.el9?distro=almalinux-9.3")]
    public void Purl_SourcePackageOfAnotherName_UpstreamQualifier(
        string type, string name, string version, string source, string os, string release, string expected) =>
        Assert.Equal(expected, Sbom.Purl(new Component(type, name, version, "x", "p", source), new OsRelease(os, release)));

    [Fact]
    public void CycloneDx_SameInventory_SameBytes()
    {
        // Arrange
        Registry.Oci.RepositoryName.TryParse("a/b", out var name);
        var image = Registry.Oci.Digest.ComputeSha256("image"u8);
        var inventory = new ImageInventoryRecord("linux", "amd64", Alpine, [], [new Component("apk", "musl", "1.2.2-r0", "Alpine:v3.13", "lib/apk/db/installed", License: "MIT")]);

        // Act and assert: deterministic, so scanning again attaches nothing new
        Assert.Equal(Sbom.CycloneDx(name, image, inventory), Sbom.CycloneDx(name, image, inventory));
    }
}
