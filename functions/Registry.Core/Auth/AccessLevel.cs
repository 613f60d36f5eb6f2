namespace Registry.Auth;

/// <summary>
/// DTR's access levels, ordered: read-only = pull and view; read-write = also push, delete tags and start scans;
/// admin = also settings, policies, access and deleting the repository.
/// </summary>
public enum AccessLevel
{
    None = 0,
    ReadOnly = 1,
    ReadWrite = 2,
    Admin = 3,
}

/// <summary>What a request wants to do to a repository, and the wire names of levels and token actions.</summary>
public static class Access
{
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";
    public const string All = "*";

    /// <summary>The token actions a level allows (distribution's token scope actions).</summary>
    public static IReadOnlyList<string> ActionsOf(AccessLevel level) => level switch
    {
        AccessLevel.Admin => [Pull, Push, Delete, All],
        AccessLevel.ReadWrite => [Pull, Push, Delete],
        AccessLevel.ReadOnly => [Pull],
        _ => [],
    };

    /// <summary>True when <paramref name="level"/> may start a vulnerability scan (write access).</summary>
    public static bool CanScan(AccessLevel level) => level >= AccessLevel.ReadWrite;

    public static string ToWire(AccessLevel level) => level switch
    {
        AccessLevel.Admin => "admin",
        AccessLevel.ReadWrite => "read-write",
        AccessLevel.ReadOnly => "read-only",
        _ => "none",
    };

    public static bool TryParseWire(string? value, out AccessLevel level)
    {
        level = value switch
        {
            "admin" => AccessLevel.Admin,
            "read-write" => AccessLevel.ReadWrite,
            "read-only" => AccessLevel.ReadOnly,
            _ => AccessLevel.None,
        };
        return level != AccessLevel.None;
    }
}
