namespace Registry.Auth;

/// <summary>
/// Who is asking: an account, or nobody. <paramref name="ByAccessToken"/>: the caller proved itself with a personal
/// access token, not the password, and may not manage tokens, the password or the account's settings.
/// </summary>
public sealed record Principal(string? Name, bool IsAdmin, bool ByAccessToken = false)
{
    public static readonly Principal Anonymous = new(null, false);

    /// <summary>Everyone, when authentication is switched off.</summary>
    public static readonly Principal System = new("system", true);

    public bool IsAnonymous => Name is null;
}
