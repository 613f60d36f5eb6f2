using Azure;
using Azure.Data.Tables;
using Registry.Oci;
using Registry.Storage.Entities;

namespace Registry.Storage;

/// <summary>Table Storage access for accounts, organization and team membership, access tokens and team grants.</summary>
public sealed class AccountStore(StorageClients clients)
{
    private readonly TableClient _accounts = clients.Table(StorageLayout.AccountsTable);
    private readonly TableClient _orgMembers = clients.Table(StorageLayout.OrgMembersTable);
    private readonly TableClient _teams = clients.Table(StorageLayout.TeamsTable);
    private readonly TableClient _teamMembers = clients.Table(StorageLayout.TeamMembersTable);
    private readonly TableClient _tokens = clients.Table(StorageLayout.AccessTokensTable);
    private readonly TableClient _teamAccess = clients.Table(StorageLayout.TeamAccessTable);

    // ---- accounts -----------------------------------------------------------------------------------

    public async Task<AccountEntity?> GetAccountOrNullAsync(string name, CancellationToken cancellationToken = default) =>
        await _accounts.GetOrNullAsync<AccountEntity>(StorageLayout.AccountsPartition, name, cancellationToken);

    /// <summary>Adds an account; false when the name is taken.</summary>
    public async Task<bool> AddAccountAsync(AccountEntity account, CancellationToken cancellationToken = default)
    {
        account.PartitionKey = StorageLayout.AccountsPartition;
        try
        {
            await _accounts.AddEntityAsync(account, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
    }

    /// <summary>Replaces an account on condition of its ETag; false when someone changed it meanwhile.</summary>
    public async Task<bool> UpdateAccountAsync(AccountEntity account, CancellationToken cancellationToken = default)
    {
        try
        {
            await _accounts.UpdateEntityAsync(account, account.ETag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed())
        {
            return false;
        }
    }

    public async Task<bool> DeleteAccountAsync(string name, CancellationToken cancellationToken = default) =>
        (await _accounts.DeleteEntityAsync(StorageLayout.AccountsPartition, name, ETag.All, cancellationToken)).Status != 404;

    public Task<IReadOnlyList<AccountEntity>> ListAccountsAsync(string? after, int count, CancellationToken cancellationToken = default) =>
        QueryAsync<AccountEntity>(_accounts, StorageLayout.AccountsPartition, after, count, cancellationToken);

    // ---- organization members -------------------------------------------------------------------------

    public async Task<OrgMemberEntity?> GetOrgMemberOrNullAsync(string org, string user, CancellationToken cancellationToken = default) =>
        await _orgMembers.GetOrNullAsync<OrgMemberEntity>(org, user, cancellationToken);

    public Task SetOrgMemberAsync(string org, string user, bool isAdmin, CancellationToken cancellationToken = default) =>
        _orgMembers.UpsertEntityAsync(new OrgMemberEntity { PartitionKey = org, RowKey = user, IsAdmin = isAdmin }, TableUpdateMode.Replace, cancellationToken);

    public async Task<bool> RemoveOrgMemberAsync(string org, string user, CancellationToken cancellationToken = default)
    {
        await foreach (var team in _teamMembers.QueryAsync<TeamMemberEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.UserTeamsPartition(user)}"), cancellationToken: cancellationToken))
        {
            var colon = team.RowKey.IndexOf(':', StringComparison.Ordinal);
            if (team.RowKey[..colon] == org)
            {
                await RemoveTeamMemberAsync(org, team.RowKey[(colon + 1)..], user, cancellationToken);
            }
        }

        return (await _orgMembers.DeleteEntityAsync(org, user, ETag.All, cancellationToken)).Status != 404;
    }

    public Task<IReadOnlyList<OrgMemberEntity>> ListOrgMembersAsync(string org, string? after, int count, CancellationToken cancellationToken = default) =>
        QueryAsync<OrgMemberEntity>(_orgMembers, org, after, count, cancellationToken);

    // ---- teams ----------------------------------------------------------------------------------------

    public async Task<TeamEntity?> GetTeamOrNullAsync(string org, string team, CancellationToken cancellationToken = default) =>
        await _teams.GetOrNullAsync<TeamEntity>(org, team, cancellationToken);

    public async Task<bool> AddTeamAsync(TeamEntity team, CancellationToken cancellationToken = default)
    {
        try
        {
            await _teams.AddEntityAsync(team, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
    }

    public async Task<bool> DeleteTeamAsync(string org, string team, CancellationToken cancellationToken = default)
    {
        foreach (var member in await ListTeamMembersAsync(org, team, null, int.MaxValue, cancellationToken))
        {
            await RemoveTeamMemberAsync(org, team, member.RowKey, cancellationToken);
        }

        return (await _teams.DeleteEntityAsync(org, team, ETag.All, cancellationToken)).Status != 404;
    }

    public Task<IReadOnlyList<TeamEntity>> ListTeamsAsync(string org, string? after, int count, CancellationToken cancellationToken = default) =>
        QueryAsync<TeamEntity>(_teams, org, after, count, cancellationToken);

    /// <summary>Adds or updates a team member (both directions of the membership).</summary>
    public async Task SetTeamMemberAsync(string org, string team, string user, bool isAdmin, CancellationToken cancellationToken = default)
    {
        var key = StorageLayout.TeamKey(org, team);
        await _teamMembers.UpsertEntityAsync(new TeamMemberEntity { PartitionKey = key, RowKey = user, IsAdmin = isAdmin }, TableUpdateMode.Replace, cancellationToken);
        await _teamMembers.UpsertEntityAsync(new TeamMemberEntity { PartitionKey = StorageLayout.UserTeamsPartition(user), RowKey = key, IsAdmin = isAdmin }, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<bool> RemoveTeamMemberAsync(string org, string team, string user, CancellationToken cancellationToken = default)
    {
        var key = StorageLayout.TeamKey(org, team);
        await _teamMembers.DeleteEntityAsync(StorageLayout.UserTeamsPartition(user), key, ETag.All, cancellationToken);
        return (await _teamMembers.DeleteEntityAsync(key, user, ETag.All, cancellationToken)).Status != 404;
    }

    public Task<IReadOnlyList<TeamMemberEntity>> ListTeamMembersAsync(string org, string team, string? after, int count, CancellationToken cancellationToken = default) =>
        QueryAsync<TeamMemberEntity>(_teamMembers, StorageLayout.TeamKey(org, team), after, count, cancellationToken);

    /// <summary>The teams (as "org:team") of <paramref name="user"/> in <paramref name="org"/>.</summary>
    public async Task<IReadOnlyList<string>> ListTeamsOfUserAsync(string user, string org, CancellationToken cancellationToken = default)
    {
        var teams = new List<string>();
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {StorageLayout.UserTeamsPartition(user)} and RowKey gt {org + ":"} and RowKey lt {org + ";"}");
        await foreach (var team in _teamMembers.QueryAsync<TeamMemberEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            teams.Add(team.RowKey);
        }

        return teams;
    }

    // ---- team grants ----------------------------------------------------------------------------------

    /// <summary>Team grants of a repository or namespace partition (see <see cref="StorageLayout"/>), team key to level.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ListTeamAccessAsync(string partition, CancellationToken cancellationToken = default)
    {
        var grants = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var grant in _teamAccess.QueryAsync<TeamAccessEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), cancellationToken: cancellationToken))
        {
            grants[grant.RowKey] = grant.Level;
        }

        return grants;
    }

    public Task SetTeamAccessAsync(string partition, string teamKey, string level, CancellationToken cancellationToken = default) =>
        _teamAccess.UpsertEntityAsync(new TeamAccessEntity { PartitionKey = partition, RowKey = teamKey, Level = level }, TableUpdateMode.Replace, cancellationToken);

    public async Task<bool> RemoveTeamAccessAsync(string partition, string teamKey, CancellationToken cancellationToken = default) =>
        (await _teamAccess.DeleteEntityAsync(partition, teamKey, ETag.All, cancellationToken)).Status != 404;

    // ---- access tokens --------------------------------------------------------------------------------

    public async Task<AccessTokenEntity?> GetAccessTokenOrNullAsync(string user, string hashedToken, CancellationToken cancellationToken = default) =>
        await _tokens.GetOrNullAsync<AccessTokenEntity>(user, hashedToken, cancellationToken);

    public Task AddAccessTokenAsync(AccessTokenEntity token, CancellationToken cancellationToken = default) =>
        _tokens.AddEntityAsync(token, cancellationToken);

    public Task UpdateAccessTokenAsync(AccessTokenEntity token, CancellationToken cancellationToken = default) =>
        _tokens.UpdateEntityAsync(token, ETag.All, TableUpdateMode.Replace, cancellationToken);

    public async Task<bool> DeleteAccessTokenAsync(string user, string hashedToken, CancellationToken cancellationToken = default) =>
        (await _tokens.DeleteEntityAsync(user, hashedToken, ETag.All, cancellationToken)).Status != 404;

    public Task<IReadOnlyList<AccessTokenEntity>> ListAccessTokensAsync(string user, CancellationToken cancellationToken = default) =>
        QueryAsync<AccessTokenEntity>(_tokens, user, null, OciLimits.MaxPageSize, cancellationToken);

    private static async Task<IReadOnlyList<T>> QueryAsync<T>(TableClient table, string partition, string? after, int count, CancellationToken cancellationToken)
        where T : RegistryEntity
    {
        var filter = after is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {after}");
        return await table.QueryAsync<T>(filter, Math.Clamp(count, 1, 1000), cancellationToken: cancellationToken).TakeAsync(count, cancellationToken);
    }
}
