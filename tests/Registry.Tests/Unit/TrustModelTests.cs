using System.Text;
using System.Text.Json;
using Registry.Trust;

namespace Registry.Tests.Unit;

/// <summary>The pieces of the Notary server that need no storage: canonical JSON, GUNs, role names, metadata file names.</summary>
public sealed class TrustModelTests
{
    [Fact]
    public void CanonicalJson_Object_KeysSortedNoSpaceOnlyQuoteAndBackslashEscaped()
    {
        // Arrange: keys out of order, whitespace, a newline, a quote, a backslash, non-ASCII, HTML characters
        using var document = JsonDocument.Parse("{ \"b\": [1, true, null], \"a\": \"x\\ny\\\"z\\\\<&>é\", \"B\": {\"d\": -3, \"c\": false} }");

        // Act
        var canonical = Encoding.UTF8.GetString(CanonicalJson.Serialize(document.RootElement));

        // Assert: byte order puts "B" before "a"; the newline is written raw, as docker/go's canonical JSON does
        Assert.Equal("{\"B\":{\"c\":false,\"d\":-3},\"a\":\"x\ny\\\"z\\\\<&>é\",\"b\":[1,true,null]}", canonical);
    }

    [Theory]
    [InlineData("{\"a\": 1.5}")]
    [InlineData("{\"a\": 1e3}")]
    [InlineData("{\"a\": 1, \"a\": 2}")]
    public void CanonicalJson_FloatOrDuplicateKey_Refused(string json)
    {
        // Arrange
        using var document = JsonDocument.Parse(json);

        // Act and assert
        Assert.Throws<FormatException>(() => CanonicalJson.Serialize(document.RootElement));
    }

    [Theory]
    [InlineData("registry.example.com/acme/app", "registry.example.com", "acme/app")]
    [InlineData("127.0.0.1:5000/library/test", "127.0.0.1:5000", "library/test")]
    [InlineData("localhost/a", "localhost", "a")]
    [InlineData("acme/app", "", "acme/app")]
    public void Gun_TryParse_SplitsHostAndRepository(string value, string host, string repository)
    {
        // Act
        var parsed = Gun.TryParse(value, out var gun);

        // Assert
        Assert.True(parsed);
        Assert.Equal((host, repository, value), (gun!.Host, gun.Repository.Value, gun.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("registry.example.com/")]
    [InlineData("registry.example.com/Acme/app")]
    [InlineData("bad_host!.com/acme/app")]
    [InlineData("registry.example.com:99999999/acme/app")]
    [InlineData("acme/../app")]
    public void Gun_TryParse_NotHostAndRepository_Refused(string value) => Assert.False(Gun.TryParse(value, out _));

    [Theory]
    [InlineData("root", true)]
    [InlineData("targets/releases", true)]
    [InlineData("targets/team-a/b_c", true)]
    [InlineData("targets/", false)]
    [InlineData("targets//x", false)]
    [InlineData("targets/../root", false)]
    [InlineData("targets/Releases", false)]
    [InlineData("releases", false)]
    public void TufRole_IsValid_AsNotaryNamesRoles(string role, bool valid) => Assert.Equal(valid, TufRole.IsValid(role));

    [Fact]
    public void TufFile_WrongTypeOrNoVersion_RefusedAsMalformedJson()
    {
        // Arrange
        var wrongType = "{\"signed\":{\"_type\":\"Root\",\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\"},\"signatures\":[]}"u8.ToArray();
        var noVersion = "{\"signed\":{\"_type\":\"Targets\",\"expires\":\"2030-01-01T00:00:00Z\"},\"signatures\":[]}"u8.ToArray();

        // Act
        var first = Assert.Throws<TrustException>(() => TufFile.Parse("targets", wrongType));
        var second = Assert.Throws<TrustException>(() => TufFile.Parse("targets", noVersion));

        // Assert
        Assert.Equal((TrustErrorCode.MalformedJson, TrustErrorCode.MalformedJson), (first.Code, second.Code));
        Assert.Contains("_type Targets", first.Message);
    }

    [Fact]
    public void TufKey_Id_AsTheClientComputesIt()
    {
        // Arrange: a key docker's Notary client made, and the id it gave the key in the root it published
        using var key = JsonDocument.Parse("{\"keytype\":\"ecdsa\",\"keyval\":{\"private\":null,\"public\":" +
            "\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6ndzZWAybT0SZpY3GCbpHUf6m1yw0uwSc5C9Rk0DwojDRIdLuYv63tXOQ1j3NM7TU3kDzjjO6lYMKvQniypqYA==\"}}");

        // Act
        var id = TufKey.Parse(key.RootElement).Id;

        // Assert
        Assert.Equal("603f1173c2511d4362ba58e0754089f3e800c41989fe9685cff6bbd1247e6540", id);
    }
}
