using Registry.Records;

namespace Registry.Stores;

/// <summary>Accounts, organization and team membership, personal access tokens and team grants.</summary>
public interface IAccountStore
{
    Task<Account?> GetAccountOrNullAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Adds an account; false when the name is taken.</summary>
    Task<bool> AddAccountAsync(Account account, CancellationToken cancellationToken = default);

    /// <summary>Replaces an account on condition of its ETag and leaves the new ETag on it; false when someone changed it meanwhile.</summary>
    Task<bool> UpdateAccountAsync(Account account, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes an account and everything kept by it, the account last (so an interrupted delete leaves the account in
    /// place, to be deleted again, and its name cannot be taken while anything of it remains). A user: its
    /// organization and team memberships and its personal access tokens. An organization: its teams (with their
    /// members and grants), its members and the grants on its namespace. False when the account changed meanwhile.
    /// </summary>
    Task<bool> DeleteAccountAsync(Account account, CancellationToken cancellationToken = default);

    /// <summary>Accounts in name order after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<Account>> ListAccountsAsync(string? after, int count, CancellationToken cancellationToken = default);

    /// <summary>The account with the id <paramref name="id"/> (eNZi's <c>id:&lt;uuid&gt;</c>), or null.</summary>
    Task<Account?> FindAccountByIdAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The team of <paramref name="org"/> with the id <paramref name="id"/>, or null.</summary>
    Task<Team?> FindTeamByIdAsync(string org, string id, CancellationToken cancellationToken = default);

    /// <summary>Replaces a team's description (its name, id and members stay); false when there is no such team.</summary>
    Task<bool> UpdateTeamAsync(Team team, CancellationToken cancellationToken = default);

    Task<OrgMember?> GetOrgMemberOrNullAsync(string org, string user, CancellationToken cancellationToken = default);

    Task SetOrgMemberAsync(string org, string user, bool isAdmin, CancellationToken cancellationToken = default);

    /// <summary>Removes a member from an organization and its teams; false when it was no member.</summary>
    Task<bool> RemoveOrgMemberAsync(string org, string user, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<OrgMember>> ListOrgMembersAsync(string org, string? after, int count, CancellationToken cancellationToken = default);

    Task<Team?> GetTeamOrNullAsync(string org, string team, CancellationToken cancellationToken = default);

    /// <summary>Adds a team; false when the name is taken in the organization.</summary>
    Task<bool> AddTeamAsync(Team team, CancellationToken cancellationToken = default);

    /// <summary>Deletes a team with its members and its grants (a team made again under this name starts without them).</summary>
    Task<bool> DeleteTeamAsync(string org, string team, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Team>> ListTeamsAsync(string org, string? after, int count, CancellationToken cancellationToken = default);

    /// <summary>Adds or updates a team member.</summary>
    Task SetTeamMemberAsync(string org, string team, string user, bool isAdmin, CancellationToken cancellationToken = default);

    Task<bool> RemoveTeamMemberAsync(string org, string team, string user, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TeamMember>> ListTeamMembersAsync(string org, string team, string? after, int count, CancellationToken cancellationToken = default);

    /// <summary>The names of the teams of <paramref name="user"/> in <paramref name="org"/>.</summary>
    Task<IReadOnlyList<string>> ListTeamsOfUserAsync(string user, string org, CancellationToken cancellationToken = default);

    /// <summary>A team's grants on single repositories of its organization: repository name to access level.</summary>
    Task<IReadOnlyDictionary<string, string>> ListRepositoryGrantsOfTeamAsync(string org, string team, CancellationToken cancellationToken = default);

    /// <summary>The team grants on a repository or namespace: team name (of the namespace's organization) to access level.</summary>
    Task<IReadOnlyDictionary<string, string>> ListTeamAccessAsync(GrantTarget target, CancellationToken cancellationToken = default);

    Task SetTeamAccessAsync(GrantTarget target, string team, string level, CancellationToken cancellationToken = default);

    /// <summary>Removes a team's grant; false when it had none.</summary>
    Task<bool> RemoveTeamAccessAsync(GrantTarget target, string team, CancellationToken cancellationToken = default);

    Task<AccessToken?> GetAccessTokenOrNullAsync(string accountId, string hash, CancellationToken cancellationToken = default);

    Task AddAccessTokenAsync(AccessToken token, CancellationToken cancellationToken = default);

    Task UpdateAccessTokenAsync(AccessToken token, CancellationToken cancellationToken = default);

    Task<bool> DeleteAccessTokenAsync(string accountId, string hash, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AccessToken>> ListAccessTokensAsync(string accountId, CancellationToken cancellationToken = default);
}
