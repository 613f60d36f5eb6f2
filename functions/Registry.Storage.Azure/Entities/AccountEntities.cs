using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A user or an organization (one namespace for both, as in DTR). PartitionKey "a", RowKey the name.</summary>
public sealed class AccountEntity : RegistryEntity
{
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

    public string ContentCacheId { get; set; } = "";

    public Account ToRecord() => Versioned(new Account
    {
        Name = RowKey, Id = Id, IsOrg = IsOrg, IsAdmin = IsAdmin, IsActive = IsActive, FullName = FullName,
        PasswordHash = PasswordHash, SessionGeneration = SessionGeneration, CreatedAt = CreatedAt, ContentCacheId = ContentCacheId ?? "",
    });

    public static AccountEntity From(Account a) => new()
    {
        PartitionKey = StorageLayout.AccountsPartition, RowKey = a.Name, ETag = VersionOf(a), Id = a.Id, IsOrg = a.IsOrg, IsAdmin = a.IsAdmin,
        IsActive = a.IsActive, FullName = a.FullName, PasswordHash = a.PasswordHash, SessionGeneration = a.SessionGeneration, CreatedAt = a.CreatedAt,
        ContentCacheId = a.ContentCacheId,
    };
}

/// <summary>A member of an organization. PartitionKey the organization, RowKey the user; IsAdmin = owner.</summary>
public sealed class OrgMemberEntity : RegistryEntity
{
    public bool IsAdmin { get; set; }

    public OrgMember ToRecord() => new(PartitionKey, RowKey, IsAdmin);
}

/// <summary>A team. PartitionKey the organization, RowKey the team name.</summary>
public sealed class TeamEntity : RegistryEntity
{
    public string Id { get; set; } = "";

    public string Description { get; set; } = "";

    public Team ToRecord() => new(PartitionKey, RowKey, Id, Description);

    public static TeamEntity From(Team t) => new() { PartitionKey = t.Org, RowKey = t.Name, Id = t.Id, Description = t.Description };
}

/// <summary>
/// A team membership, written twice: PartitionKey "org:team", RowKey user (members of a team), and
/// PartitionKey "~user", RowKey "org:team" (teams of a user).
/// </summary>
public sealed class TeamMemberEntity : RegistryEntity
{
    public bool IsAdmin { get; set; }

    public TeamMember ToRecord() => new(RowKey, IsAdmin);
}

/// <summary>A personal access token. PartitionKey the user, RowKey the SHA-256 of the token (the token is never stored).</summary>
public sealed class AccessTokenEntity : RegistryEntity
{
    public string Label { get; set; } = "";

    public bool IsActive { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? LastUsed { get; set; }

    public string CreatorUa { get; set; } = "";

    public AccessToken ToRecord() => Versioned(new AccessToken
    {
        AccountId = PartitionKey, Hash = RowKey, Label = Label, IsActive = IsActive, CreatedAt = CreatedAt, ExpiresAt = ExpiresAt, LastUsed = LastUsed,
        CreatorUa = CreatorUa ?? "",
    });

    public static AccessTokenEntity From(AccessToken t) => new()
    {
        PartitionKey = t.AccountId, RowKey = t.Hash, ETag = VersionOf(t), Label = t.Label, IsActive = t.IsActive, CreatedAt = t.CreatedAt,
        ExpiresAt = t.ExpiresAt, LastUsed = t.LastUsed, CreatorUa = t.CreatorUa,
    };
}

/// <summary>
/// A team's access to a repository (PartitionKey "r:" key(name)) or to a namespace (PartitionKey "n:" namespace).
/// RowKey "org:team".
/// </summary>
public sealed class TeamAccessEntity : RegistryEntity
{
    public string Level { get; set; } = "";
}
