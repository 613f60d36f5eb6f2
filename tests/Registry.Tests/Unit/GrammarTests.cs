using Registry.Oci;

namespace Registry.Tests.Unit;

/// <summary>The name, tag, digest and reference grammars, and the trusted proxies' addresses and networks.</summary>
public sealed class GrammarTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("library/alpine")]
    [InlineData("a.b_c__d---e/f0/g-h")]
    [InlineData("x1/y2/z3")]
    public void RepositoryNameTryParse_ValidName_ReturnsTrue(string value) => Assert.True(RepositoryName.TryParse(value, out _));

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("a/../b")]
    [InlineData("../a")]
    [InlineData("/leading")]
    [InlineData("trailing/")]
    [InlineData("a//b")]
    [InlineData("a___b")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a:b")]
    [InlineData("a b")]
    public void RepositoryNameTryParse_InvalidName_ReturnsFalse(string value) => Assert.False(RepositoryName.TryParse(value, out _));

    [Fact]
    public void RepositoryNameTryParse_LengthLimit_Is255InAll()
    {
        Assert.True(RepositoryName.TryParse("a/" + new string('b', 253), out _));
        Assert.False(RepositoryName.TryParse("a/" + new string('b', 254), out _));
    }

    [Theory]
    [InlineData("latest", true)]
    [InlineData("_x", true)]
    [InlineData("V1.2.3-rc_1", true)]
    [InlineData(".x", false)]
    [InlineData("-x", false)]
    [InlineData("a+b", false)]
    [InlineData("", false)]
    public void TagTryParse_Value_MatchesGrammar(string value, bool valid) => Assert.Equal(valid, Tag.TryParse(value, out _));

    [Fact]
    public void TagTryParse_LengthLimit_Is128()
    {
        Assert.True(Tag.TryParse(new string('a', 128), out _));
        Assert.False(Tag.TryParse(new string('a', 129), out _));
    }

    [Theory]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true)]
    [InlineData("sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", true)]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", false)]
    [InlineData("sha256:e3b0", false)]
    [InlineData("sha384:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", false)]
    [InlineData("sha256e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData("", false)]
    public void DigestTryParse_Value_AllowsOnlyKnownAlgorithms(string value, bool valid) => Assert.Equal(valid, Digest.TryParse(value, out _));

    [Fact]
    public void DigestComputeSha256_Empty_IsWellKnown()
    {
        // Act
        var digest = Digest.ComputeSha256([]);

        // Assert
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", digest.ToString());
    }

    [Theory]
    [InlineData("latest", false, true)]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true, true)]
    [InlineData("sha256:bad", true, false)]
    [InlineData("-bad", false, false)]
    public void ManifestReferenceTryParse_Value_ClassifiesTagOrDigest(string value, bool digestLike, bool valid)
    {
        // Act
        var reference = ManifestReference.TryParse(value, out var looksLikeDigest);

        // Assert
        Assert.Equal(digestLike, looksLikeDigest);
        Assert.Equal(valid, reference is not null);
        Assert.Equal(valid && digestLike, reference?.IsDigest == true);
    }

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("192.0.2.1", true)]
    [InlineData("::1", true)]
    [InlineData("fd00::/8", true)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("proxy.example.com", false)]
    [InlineData("", false)]
    [InlineData("*", false)]
    public void TrustedNetworks_AddressOrNetwork_AcceptedElseNull(string entry, bool valid)
    {
        // Act
        var networks = new Registry.Options.RegistryOptions { TrustedProxies = [entry] }.TrustedNetworks();

        // Assert
        Assert.Equal(valid, networks is not null);
    }
}
