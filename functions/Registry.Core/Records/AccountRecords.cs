namespace Registry.Records;

/// <summary>A user or an organization (one namespace for both, as in DTR).</summary>
public sealed class Account : StoredRecord
{
    public string Name { get; set; } = "";

    /// <summary>A new id each time an account of this name is created: what tokens name the account by.</summary>
    public string Id { get; set; } = "";

    public bool IsOrg { get; set; }

    public bool IsAdmin { get; set; }

    public bool IsActive { get; set; } = true;

    public string FullName { get; set; } = "";

    /// <summary>ASP.NET Core Identity's PasswordHasher format (PBKDF2); null for organizations.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>
    /// Refresh tokens carry the generation they were issued in; a password change, a deactivation or a revocation of
    /// the sessions counts it up, and the older refresh tokens stop working at once.
    /// </summary>
    public int SessionGeneration { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The content cache a user pulls blobs from (<c>contentCacheUUID</c> of the user's settings); empty: the origin.</summary>
    public string ContentCacheId { get; set; } = "";
}

/// <summary>A member of an organization; an admin member is an owner.</summary>
public sealed record OrgMember(string Org, string User, bool IsAdmin);

/// <summary>A team of an organization.</summary>
public sealed record Team(string Org, string Name, string Id, string Description);

/// <summary>A member of a team.</summary>
public sealed record TeamMember(string User, bool IsAdmin);

/// <summary>What a team grant applies to: a repository, or a whole namespace (an organization's).</summary>
public sealed record GrantTarget(string Namespace, string? Repository)
{
    public static GrantTarget Of(Oci.RepositoryName repository) => new(Auth.PermissionService.NamespaceOf(repository), repository.Value);

    public static GrantTarget OfNamespace(string ns) => new(ns, null);
}

/// <summary>A personal access token; only the SHA-256 of the token is kept.</summary>
public sealed class AccessToken : StoredRecord
{
    /// <summary>The id of the account the token belongs to.</summary>
    public string AccountId { get; set; } = "";

    public string Hash { get; set; } = "";

    public string Label { get; set; } = "";

    public bool IsActive { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? LastUsed { get; set; }

    /// <summary>The User-Agent of the request that created the token (up to 200 characters).</summary>
    public string CreatorUa { get; set; } = "";
}
