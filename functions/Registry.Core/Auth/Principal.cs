namespace Registry.Auth;

/// <summary>
/// Who is asking: an account (by name and immutable id), or nobody. <paramref name="ByAccessToken"/>: the caller proved
/// itself with a personal access token, not the password, and may not manage tokens, the password or the account's
/// settings.
/// </summary>
public sealed record Principal(string? Name, string? AccountId, bool IsAdmin, bool ByAccessToken = false)
{
    public static readonly Principal Anonymous = new(null, null, false);

    /// <summary>Everyone, when authentication is switched off: no account.</summary>
    public static readonly Principal System = new("system", null, true);

    public bool IsAnonymous => Name is null;
}
