using Registry.Oci;
using Registry.Services;
using Registry.Records;

namespace Registry.Tests.Unit;

/// <summary>Immutability by repository and by tag pattern.</summary>
public sealed class TagPolicyTests
{
    [Theory]
    [InlineData("v*", "v1.2.3", true)]
    [InlineData("v*", "v", true)]
    [InlineData("v*", "latest", false)]
    [InlineData("release-*", "release-2026", true)]
    [InlineData("release-*", "pre-release-1", false)]
    [InlineData("*-stable", "1.0-stable", true)]
    [InlineData("v?.?", "v1.2", true)]
    [InlineData("v?.?", "v1.20", false)]
    [InlineData("*", "anything", true)]
    [InlineData("latest", "latest", true)]
    [InlineData("latest", "Latest", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    public void Matches_Pattern_MatchesWholeTag(string pattern, string tag, bool expected) =>
        Assert.Equal(expected, TagPolicy.Matches(pattern, tag));

    [Fact]
    public void Matches_ManyStars_StaysLinear()
    {
        // A pattern that makes naive backtracking explode
        var pattern = string.Concat(Enumerable.Repeat("a*", 30)) + "b";
        Assert.False(TagPolicy.Matches(pattern, new string('a', 128)));
    }

    [Theory]
    [InlineData("v*", true)]
    [InlineData("release-?", true)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    public void IsValidPattern_Value_AllowsTagCharactersAndWildcards(string pattern, bool valid) =>
        Assert.Equal(valid, TagPolicy.IsValidPattern(pattern));

    [Fact]
    public void IsImmutable_RepositoryFlagOrPattern_DecidesPerTag()
    {
        var all = new RepositoryRecord { ImmutableTags = true };
        var patterns = new RepositoryRecord { ImmutableTagPatterns = "[\"v*\",\"release-*\"]" };
        Tag.TryParse("latest", out var latest);
        Tag.TryParse("v1", out var v1);
        Assert.True(TagPolicy.IsImmutable(all, latest));
        Assert.False(TagPolicy.IsImmutable(patterns, latest));
        Assert.True(TagPolicy.IsImmutable(patterns, v1));
        Assert.False(TagPolicy.IsImmutable(null, v1));
    }
}
