namespace Registry.Auth;

/// <summary>Who is asking: an account, or nobody.</summary>
public sealed record Principal(string? Name, bool IsAdmin)
{
    public static readonly Principal Anonymous = new(null, false);

    /// <summary>Everyone, when authentication is switched off.</summary>
    public static readonly Principal System = new("system", true);

    public bool IsAnonymous => Name is null;
}
