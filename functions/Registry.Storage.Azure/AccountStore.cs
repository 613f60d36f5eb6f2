using Azure;
using Azure.Data.Tables;
using Registry.Oci;
using Registry.Records;
using Registry.Storage.Entities;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>Table Storage access for accounts, organization and team membership, access tokens and team grants.</summary>
public sealed class AccountStore(StorageClients clients) : IAccountStore
{
    private readonly TableClient _accounts = clients.Table(StorageLayout.AccountsTable);
    private readonly TableClient _orgMembers = clients.Table(StorageLayout.OrgMembersTable);
    private readonly TableClient _teams = clients.Table(StorageLayout.TeamsTable);
    private readonly TableClient _teamMembers = clients.Table(StorageLayout.TeamMembersTable);
    private readonly TableClient _tokens = clients.Table(StorageLayout.AccessTokensTable);
    private readonly TableClient _teamAccess = clients.Table(StorageLayout.TeamAccessTable);

    // ---- accounts -----------------------------------------------------------------------------------

    public async Task<Account?> GetAccountOrNullAsync(string name, CancellationToken cancellationToken = default) =>
        (await _accounts.GetOrNullAsync<AccountEntity>(StorageLayout.AccountsPartition, name, cancellationToken))?.ToRecord();

    /// <summary>Adds an account; false when the name is taken.</summary>
    public async Task<bool> AddAccountAsync(Account account, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _accounts.AddEntityAsync(AccountEntity.From(account), cancellationToken);
            account.ETag = response.Headers.ETag?.ToString();
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
    }

    /// <summary>
    /// Replaces an account on condition of its ETag, and leaves the new ETag on it; false when someone changed it
    /// meanwhile.
    /// </summary>
    public async Task<bool> UpdateAccountAsync(Account account, CancellationToken cancellationToken = default)
    {
        try
        {
            var entity = AccountEntity.From(account);
            var response = await _accounts.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
            account.ETag = response.Headers.ETag?.ToString() ?? account.ETag;
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed())
        {
            return false;
        }
    }

    /// <summary>
    /// Deletes an account and everything keyed by it, the account row last (so an interrupted delete leaves the account
    /// in place, to be deleted again, and its name cannot be taken while anything of it remains). A user: its
    /// organization and team memberships and its personal access tokens. An organization: its teams (with their members
    /// and grants), its members and the grants on its namespace. False when the account changed meanwhile.
    /// </summary>
    public async Task<bool> DeleteAccountAsync(Account account, CancellationToken cancellationToken = default)
    {
        var name = account.Name;
        if (account.IsOrg)
        {
            foreach (var team in await ListTeamsAsync(name, null, int.MaxValue, cancellationToken))
            {
                await DeleteTeamAsync(name, team.Name, cancellationToken);
            }

            await _orgMembers.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey eq {name}"), cancellationToken);
            await _teamAccess.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.NamespaceAccessPartition(name)}"), cancellationToken);
        }
        else
        {
            await foreach (var membership in _orgMembers.QueryAsync<OrgMemberEntity>(
                TableClient.CreateQueryFilter($"RowKey eq {name}"), select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
            {
                await RemoveOrgMemberAsync(membership.PartitionKey, name, cancellationToken);
            }

            await foreach (var team in _teamMembers.QueryAsync<TeamMemberEntity>(
                TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.UserTeamsPartition(name)}"), cancellationToken: cancellationToken))
            {
                var colon = team.RowKey.IndexOf(':', StringComparison.Ordinal);
                await RemoveTeamMemberAsync(team.RowKey[..colon], team.RowKey[(colon + 1)..], name, cancellationToken);
            }

            await _tokens.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey eq {account.Id}"), cancellationToken);
        }

        try
        {
            await _accounts.DeleteEntityAsync(StorageLayout.AccountsPartition, name, RegistryEntity.VersionOf(account), cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed())
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(string? after, int count, CancellationToken cancellationToken = default) =>
        (await QueryAsync<AccountEntity>(_accounts, StorageLayout.AccountsPartition, after, count, cancellationToken)).Select(a => a.ToRecord()).ToList();

    // ---- organization members -------------------------------------------------------------------------

    public async Task<OrgMember?> GetOrgMemberOrNullAsync(string org, string user, CancellationToken cancellationToken = default) =>
        (await _orgMembers.GetOrNullAsync<OrgMemberEntity>(org, user, cancellationToken))?.ToRecord();

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

    public async Task<IReadOnlyList<OrgMember>> ListOrgMembersAsync(string org, string? after, int count, CancellationToken cancellationToken = default) =>
        (await QueryAsync<OrgMemberEntity>(_orgMembers, org, after, count, cancellationToken)).Select(m => m.ToRecord()).ToList();

    // ---- teams ----------------------------------------------------------------------------------------

    public async Task<Team?> GetTeamOrNullAsync(string org, string team, CancellationToken cancellationToken = default) =>
        (await _teams.GetOrNullAsync<TeamEntity>(org, team, cancellationToken))?.ToRecord();

    /// <summary>A filtered query of the accounts' partition (the store keeps no index by id; eNZi's id addressing is rare).</summary>
    public async Task<Account?> FindAccountByIdAsync(string id, CancellationToken cancellationToken = default)
    {
        await foreach (var account in _accounts.QueryAsync<AccountEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.AccountsPartition} and Id eq {id}"), maxPerPage: 1, cancellationToken: cancellationToken))
        {
            return account.ToRecord();
        }

        return null;
    }

    public async Task<Team?> FindTeamByIdAsync(string org, string id, CancellationToken cancellationToken = default)
    {
        await foreach (var team in _teams.QueryAsync<TeamEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {org} and Id eq {id}"), maxPerPage: 1, cancellationToken: cancellationToken))
        {
            return team.ToRecord();
        }

        return null;
    }

    public async Task<bool> UpdateTeamAsync(Team team, CancellationToken cancellationToken = default)
    {
        try
        {
            await _teams.UpdateEntityAsync(TeamEntity.From(team), ETag.All, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return false;
        }
    }

    public async Task<bool> AddTeamAsync(Team team, CancellationToken cancellationToken = default)
    {
        try
        {
            await _teams.AddEntityAsync(TeamEntity.From(team), cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
    }

    /// <summary>Deletes a team with its members and its grants (a team made again under this name starts without them).</summary>
    public async Task<bool> DeleteTeamAsync(string org, string team, CancellationToken cancellationToken = default)
    {
        foreach (var member in await ListTeamMembersAsync(org, team, null, int.MaxValue, cancellationToken))
        {
            await RemoveTeamMemberAsync(org, team, member.User, cancellationToken);
        }

        // Its grants: on the organization's namespace, and on the repositories in it (r:org:...).
        var repositories = StorageLayout.NamespaceRepositoriesAccessPrefix(org);
        await _teamAccess.DeleteWhereAsync(TableClient.CreateQueryFilter(
            $"(PartitionKey eq {StorageLayout.NamespaceAccessPartition(org)} or (PartitionKey ge {repositories} and PartitionKey lt {repositories[..^1] + ";"})) and RowKey eq {StorageLayout.TeamKey(org, team)}"),
            cancellationToken);

        return (await _teams.DeleteEntityAsync(org, team, ETag.All, cancellationToken)).Status != 404;
    }

    public async Task<IReadOnlyList<Team>> ListTeamsAsync(string org, string? after, int count, CancellationToken cancellationToken = default) =>
        (await QueryAsync<TeamEntity>(_teams, org, after, count, cancellationToken)).Select(t => t.ToRecord()).ToList();

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

    public async Task<IReadOnlyList<TeamMember>> ListTeamMembersAsync(string org, string team, string? after, int count, CancellationToken cancellationToken = default) =>
        (await QueryAsync<TeamMemberEntity>(_teamMembers, StorageLayout.TeamKey(org, team), after, count, cancellationToken)).Select(m => m.ToRecord()).ToList();

    /// <summary>The names of the teams of <paramref name="user"/> in <paramref name="org"/>.</summary>
    public async Task<IReadOnlyList<string>> ListTeamsOfUserAsync(string user, string org, CancellationToken cancellationToken = default)
    {
        var teams = new List<string>();
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {StorageLayout.UserTeamsPartition(user)} and RowKey gt {org + ":"} and RowKey lt {org + ";"}");
        await foreach (var team in _teamMembers.QueryAsync<TeamMemberEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            teams.Add(team.RowKey[(org.Length + 1)..]);
        }

        return teams;
    }

    // ---- team grants ----------------------------------------------------------------------------------

    public async Task<IReadOnlyDictionary<string, string>> ListTeamAccessAsync(GrantTarget target, CancellationToken cancellationToken = default)
    {
        var grants = new Dictionary<string, string>(StringComparer.Ordinal);
        var prefix = StorageLayout.TeamKey(target.Namespace, "");
        await foreach (var grant in _teamAccess.QueryAsync<TeamAccessEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.AccessPartition(target)}"), cancellationToken: cancellationToken))
        {
            if (grant.RowKey.StartsWith(prefix, StringComparison.Ordinal))
            {
                grants[grant.RowKey[prefix.Length..]] = grant.Level;
            }
        }

        return grants;
    }

    /// <summary>One query over the partitions of the organization's repositories (r:org:...) for the team's row.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ListRepositoryGrantsOfTeamAsync(string org, string team, CancellationToken cancellationToken = default)
    {
        var repositories = StorageLayout.NamespaceRepositoriesAccessPrefix(org);
        var grants = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var grant in _teamAccess.QueryAsync<TeamAccessEntity>(TableClient.CreateQueryFilter(
            $"PartitionKey ge {repositories} and PartitionKey lt {repositories[..^1] + ";"} and RowKey eq {StorageLayout.TeamKey(org, team)}"), cancellationToken: cancellationToken))
        {
            grants[StorageLayout.NameOf(grant.PartitionKey["r:".Length..])] = grant.Level;
        }

        return grants;
    }

    public Task SetTeamAccessAsync(GrantTarget target, string team, string level, CancellationToken cancellationToken = default) =>
        _teamAccess.UpsertEntityAsync(new TeamAccessEntity
        {
            PartitionKey = StorageLayout.AccessPartition(target), RowKey = StorageLayout.TeamKey(target.Namespace, team), Level = level,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<bool> RemoveTeamAccessAsync(GrantTarget target, string team, CancellationToken cancellationToken = default) =>
        (await _teamAccess.DeleteEntityAsync(StorageLayout.AccessPartition(target), StorageLayout.TeamKey(target.Namespace, team), ETag.All, cancellationToken))
            .Status != 404;

    // ---- access tokens --------------------------------------------------------------------------------

    public async Task<AccessToken?> GetAccessTokenOrNullAsync(string accountId, string hash, CancellationToken cancellationToken = default) =>
        (await _tokens.GetOrNullAsync<AccessTokenEntity>(accountId, hash, cancellationToken))?.ToRecord();

    public Task AddAccessTokenAsync(AccessToken token, CancellationToken cancellationToken = default) =>
        _tokens.AddEntityAsync(AccessTokenEntity.From(token), cancellationToken);

    public Task UpdateAccessTokenAsync(AccessToken token, CancellationToken cancellationToken = default) =>
        _tokens.UpdateEntityAsync(AccessTokenEntity.From(token), ETag.All, TableUpdateMode.Replace, cancellationToken);

    public async Task<bool> DeleteAccessTokenAsync(string accountId, string hash, CancellationToken cancellationToken = default) =>
        (await _tokens.DeleteEntityAsync(accountId, hash, ETag.All, cancellationToken)).Status != 404;

    public async Task<IReadOnlyList<AccessToken>> ListAccessTokensAsync(string accountId, CancellationToken cancellationToken = default) =>
        (await QueryAsync<AccessTokenEntity>(_tokens, accountId, null, OciLimits.MaxPageSize, cancellationToken)).Select(t => t.ToRecord()).ToList();

    private static async Task<IReadOnlyList<T>> QueryAsync<T>(TableClient table, string partition, string? after, int count, CancellationToken cancellationToken)
        where T : RegistryEntity
    {
        var filter = after is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {after}");
        return await table.QueryAsync<T>(filter, Math.Clamp(count, 1, 1000), cancellationToken: cancellationToken).TakeAsync(count, cancellationToken);
    }
}
