using Registry.Auth;

namespace Registry.Tests.Unit;

/// <summary>Token scopes and the access levels of the permission model.</summary>
public sealed class ScopeAndAccessTests
{
    [Theory]
    [InlineData("repository:library/alpine:pull", "repository", "library/alpine", "pull")]
    [InlineData("repository:a/b:pull,push", "repository", "a/b", "pull,push")]
    [InlineData("repository:a/b:push,pull,push", "repository", "a/b", "push,pull")]
    [InlineData("registry:catalog:*", "registry", "catalog", "*")]
    public void TryParse_ValidScope_ReadsTypeNameActions(string value, string type, string name, string actions)
    {
        Assert.True(Scope.TryParse(value, out var scope));
        Assert.Equal((type, name, actions), (scope.Type, scope.Name, string.Join(',', scope.Actions)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("repository")]
    [InlineData("repository:a/b")]
    [InlineData("repository::pull")]
    [InlineData("repository:a/b:")]
    [InlineData("plugin:a:pull")]
    public void TryParse_MalformedScope_ReturnsFalse(string value) => Assert.False(Scope.TryParse(value, out _));

    [Fact]
    public void ParseAll_SpaceSeparatedAndRepeated_ReadsEveryValidScope()
    {
        var scopes = Scope.ParseAll(["repository:a/b:pull repository:c/d:push", "junk", "registry:catalog:*"]);
        Assert.Equal(["repository:a/b:pull", "repository:c/d:push", "registry:catalog:*"], scopes.Select(s => s.ToString()));
    }

    [Theory]
    [InlineData(AccessLevel.None, "", false)]
    [InlineData(AccessLevel.ReadOnly, "pull", false)]
    [InlineData(AccessLevel.ReadWrite, "pull,push,delete", true)]
    [InlineData(AccessLevel.Admin, "pull,push,delete,*", true)]
    public void ActionsOf_Level_GivesTokenActionsAndScanRight(AccessLevel level, string actions, bool canScan)
    {
        Assert.Equal(actions, string.Join(',', Access.ActionsOf(level)));
        Assert.Equal(canScan, Access.CanScan(level));
    }

    [Theory]
    [InlineData("read-only", AccessLevel.ReadOnly)]
    [InlineData("read-write", AccessLevel.ReadWrite)]
    [InlineData("admin", AccessLevel.Admin)]
    public void TryParseWire_DtrLevel_RoundTrips(string wire, AccessLevel level)
    {
        Assert.True(Access.TryParseWire(wire, out var parsed));
        Assert.Equal(level, parsed);
        Assert.Equal(wire, Access.ToWire(level));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Admin")]
    [InlineData("write")]
    public void TryParseWire_Unknown_ReturnsFalse(string wire) => Assert.False(Access.TryParseWire(wire, out _));

    [Fact]
    public void ValidatedTokenAllows_OnlyGrantedActionsOfThatRepository()
    {
        var token = new ValidatedToken("u", "id-of-u", [new Scope("repository", "a/b", ["pull"]), new Scope("repository", "c/d", ["*"])], DateTimeOffset.MaxValue);
        Assert.True(token.Allows("repository", "a/b", "pull"));
        Assert.False(token.Allows("repository", "a/b", "push"));
        Assert.False(token.Allows("repository", "a/bb", "pull"));
        Assert.True(token.Allows("repository", "c/d", "delete"));
    }
}
