using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Registry.Auth;
using Registry.Stores;
using Registry.Records;

namespace Registry.Dtr;

/// <summary>
/// Accounts (users and organizations), organization members, teams, team members and personal access tokens,
/// with who may do what: system administrators manage accounts; organization owners manage their members and
/// teams; every user manages their own password, name and tokens.
/// </summary>
public sealed partial class AccountService(
    IAccountStore accounts, IMetadataStore metadata, ISigningStore signing, Events.WebhookService webhooks, PermissionService permissions, Authenticator authenticator,
    TimeProvider time)
{
    private const int MinPasswordLength = 8;
    private const int MaxPasswordLength = 1024;

    public async Task<AccountView> CreateAccountAsync(Principal principal, AccountCreate body, CancellationToken cancellationToken = default)
    {
        var name = CheckAccountName(body.Name);
        if (!body.IsOrg && body.Password is not { Length: >= MinPasswordLength and <= MaxPasswordLength })
        {
            throw new DtrException(DtrError.InvalidFormField, $"password: {MinPasswordLength} to {MaxPasswordLength} characters");
        }

        var account = new Account
        {
            Name = name,
            Id = Guid.NewGuid().ToString(),
            IsOrg = body.IsOrg,
            IsAdmin = !body.IsOrg && body.IsAdmin,
            IsActive = body.IsActive ?? true,
            FullName = body.FullName ?? "",
            PasswordHash = body.IsOrg ? null : Authenticator.HashPassword(body.Password!),
            CreatedAt = time.GetUtcNow(),
        };
        if (!await accounts.AddAccountAsync(account, cancellationToken))
        {
            throw new DtrException(DtrError.AccountExists, $"account {name} exists already");
        }

        return View(account);
    }

    /// <summary>
    /// A page of accounts in name order after <paramref name="start"/>, narrowed by eNZi's <c>filter</c>: <c>all</c>,
    /// <c>users</c>, <c>orgs</c>, <c>admins</c>, <c>non-admins</c>, <c>active-users</c> or <c>inactive-users</c>.
    /// </summary>
    public async Task<AccountList> ListAccountsAsync(Principal principal, string? start, int limit, string? filter, CancellationToken cancellationToken = default)
    {
        Func<Account, bool> keep = (filter ?? "all") switch
        {
            "all" => _ => true,
            "users" => a => !a.IsOrg,
            "orgs" => a => a.IsOrg,
            "admins" => a => !a.IsOrg && a.IsAdmin,
            "non-admins" => a => !a.IsOrg && !a.IsAdmin,
            "active-users" => a => !a.IsOrg && a.IsActive,
            "inactive-users" => a => !a.IsOrg && !a.IsActive,
            _ => throw new DtrException(DtrError.InvalidParameter, "filter must be all, users, orgs, admins, non-admins, active-users or inactive-users"),
        };
        var page = await PageAsync((after, count) => accounts.ListAccountsAsync(after, count, cancellationToken), a => a.Name, keep, start, limit);
        return new AccountList(page.Take(limit).Select(View).ToList(), page.Count > limit ? page[limit - 1].Name : "");
    }

    /// <summary>
    /// Up to <paramref name="limit"/> + 1 items that <paramref name="keep"/> lets through, read from the store a batch
    /// at a time after <paramref name="start"/> (the one past the limit tells that another page follows).
    /// </summary>
    private static async Task<List<T>> PageAsync<T>(
        Func<string?, int, Task<IReadOnlyList<T>>> read, Func<T, string> key, Func<T, bool> keep, string? start, int limit)
    {
        var kept = new List<T>();
        for (var after = start; kept.Count <= limit;)
        {
            var batch = await read(after, 100);
            kept.AddRange(batch.Where(keep));
            if (batch.Count < 100)
            {
                break;
            }

            after = key(batch[^1]);
        }

        return kept.Take(limit + 1).ToList();
    }

    /// <summary>eNZi's member filter: <c>all</c>, <c>admins</c> or <c>non-admins</c>.</summary>
    private static Func<bool, bool> MemberFilter(string? filter) => (filter ?? "all") switch
    {
        "all" => _ => true,
        "admins" => isAdmin => isAdmin,
        "non-admins" => isAdmin => !isAdmin,
        _ => throw new DtrException(DtrError.InvalidParameter, "filter must be all, admins or non-admins"),
    };

    public async Task<AccountView> GetAccountAsync(Principal principal, string name, CancellationToken cancellationToken = default)
    {
        return View(await GetAsync(name, cancellationToken));
    }

    /// <summary>
    /// System administrators change anything; users change their own name and password. A new password for one's own
    /// account needs the current one (<c>oldPassword</c>); a system administrator sets another account's without it.
    /// </summary>
    public async Task<AccountView> UpdateAccountAsync(Principal principal, string name, AccountPatch body, CancellationToken cancellationToken = default)
    {
        if (!principal.IsAdmin && (principal.Name != name || body.IsAdmin is not null || body.IsActive is not null))
        {
            throw new DtrException(DtrError.NotAuthorized, "only a system administrator may change this");
        }

        var account = await GetAsync(name, cancellationToken);
        if (body.Password is not null)
        {
            if (account.IsOrg || body.Password.Length is < MinPasswordLength or > MaxPasswordLength)
            {
                throw new DtrException(DtrError.InvalidFormField, $"password: {MinPasswordLength} to {MaxPasswordLength} characters, users only");
            }

            if (principal.Name == name && !await authenticator.VerifyPasswordAsync(account, body.OldPassword ?? "", cancellationToken))
            {
                throw new DtrException(DtrError.NotAuthorized, "oldPassword must be the current password");
            }

            account.PasswordHash = Authenticator.HashPassword(body.Password);
            account.SessionGeneration++;
        }

        account.FullName = body.FullName ?? account.FullName;
        account.IsAdmin = !account.IsOrg && (body.IsAdmin ?? account.IsAdmin);
        if (body.IsActive == false && account.IsActive)
        {
            account.SessionGeneration++;
        }

        account.IsActive = body.IsActive ?? account.IsActive;
        if (!await accounts.UpdateAccountAsync(account, cancellationToken))
        {
            throw new DtrException(DtrError.Conflict, "the account changed meanwhile; try again");
        }

        return View(account);
    }

    /// <summary>
    /// Ends every session of an account at once (its refresh tokens stop working; access tokens already issued expire
    /// on their own within minutes): the account's own user with the password, or a system administrator.
    /// </summary>
    public async Task RevokeSessionsAsync(Principal principal, string name, CancellationToken cancellationToken = default)
    {
        if (!principal.IsAdmin && principal.Name != name)
        {
            throw new DtrException(DtrError.NotAuthorized, "only a system administrator may end another account's sessions");
        }

        var account = await GetAsync(name, cancellationToken);
        account.SessionGeneration++;
        if (!await accounts.UpdateAccountAsync(account, cancellationToken))
        {
            throw new DtrException(DtrError.Conflict, "the account changed meanwhile; try again");
        }
    }

    /// <summary>
    /// Deletes an account (system administrators) with its memberships, teams, grants, personal access tokens and its
    /// namespace's trust policy; its sessions end, and a new account of the name inherits nothing. Refused while
    /// repositories remain in its namespace: they are deleted first, on purpose. The account is deactivated before
    /// anything is removed, so that its user cannot log in or refresh a session meanwhile, and the namespace is checked
    /// again at the end.
    /// </summary>
    public async Task DeleteAccountAsync(Principal principal, string name, CancellationToken cancellationToken = default)
    {
        var account = await GetAsync(name, cancellationToken);
        await RequireEmptyNamespaceAsync(name, cancellationToken);
        account.IsActive = false;
        account.SessionGeneration++;
        if (!await accounts.UpdateAccountAsync(account, cancellationToken))
        {
            throw new DtrException(DtrError.Conflict, "the account changed meanwhile; try again");
        }

        // The delete holds only if nobody changed the account since the update (whose ETag it carries).
        await RequireEmptyNamespaceAsync(name, cancellationToken);
        if (!await accounts.DeleteAccountAsync(account, cancellationToken))
        {
            throw new DtrException(DtrError.Conflict, "the account changed meanwhile; try again");
        }

        // The namespace's trust policy and webhooks go with it: whoever takes the name again starts without them.
        await signing.DeleteTrustAsync(name, true, cancellationToken);
        await webhooks.DeleteForAsync(name, cancellationToken);
    }

    private async Task RequireEmptyNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        if ((await metadata.ListRepositoryRecordsAsync(name + "/", null, includeFrom: true, 1, cancellationToken)).Count > 0)
        {
            throw new DtrException(DtrError.Conflict, $"the namespace {name} still has repositories; delete them first");
        }
    }

    // ---- organization members -------------------------------------------------------------------------

    public async Task<MemberList> ListOrgMembersAsync(
        Principal principal, string org, string? start, int limit, string? filter, CancellationToken cancellationToken = default)
    {
        await RequireOrgMemberAsync(principal, org, cancellationToken);
        var keep = MemberFilter(filter);
        var page = await PageAsync((after, count) => accounts.ListOrgMembersAsync(org, after, count, cancellationToken), m => m.User, m => keep(m.IsAdmin), start, limit);
        var members = new List<MemberView>();
        foreach (var member in page.Take(limit))
        {
            members.Add(new MemberView(View(await GetAsync(member.User, cancellationToken)), member.IsAdmin));
        }

        return new MemberList(members, page.Count > limit ? page[limit - 1].User : "");
    }

    public async Task<MemberView> SetOrgMemberAsync(Principal principal, string org, string user, MemberPut body, CancellationToken cancellationToken = default)
    {
        await RequireOrgOwnerAsync(principal, org, cancellationToken);
        var account = await GetUserAsync(user, cancellationToken);
        await accounts.SetOrgMemberAsync(org, user, body.IsAdmin, cancellationToken);
        return new MemberView(View(account), body.IsAdmin);
    }

    public async Task RemoveOrgMemberAsync(Principal principal, string org, string user, CancellationToken cancellationToken = default)
    {
        await RequireOrgOwnerAsync(principal, org, cancellationToken);
        if (!await accounts.RemoveOrgMemberAsync(org, user, cancellationToken))
        {
            throw new DtrException(DtrError.NoSuchMember, $"{user} is not a member of {org}");
        }
    }

    // ---- teams ----------------------------------------------------------------------------------------

    public async Task<TeamView> CreateTeamAsync(Principal principal, string org, TeamCreate body, CancellationToken cancellationToken = default)
    {
        await RequireOrgOwnerAsync(principal, org, cancellationToken);
        var name = CheckAccountName(body.Name);
        var team = new Team(org, name, Guid.NewGuid().ToString(), body.Description ?? "");
        if (!await accounts.AddTeamAsync(team, cancellationToken))
        {
            throw new DtrException(DtrError.TeamExists, $"team {name} exists already in {org}");
        }

        return View(team, await OrgIdAsync(org, cancellationToken));
    }

    /// <summary>eNZi's team PATCH: the description changes; a team keeps its name (its grants and members are held under it).</summary>
    public async Task<TeamView> UpdateTeamAsync(Principal principal, string org, string team, TeamCreate body, CancellationToken cancellationToken = default)
    {
        await RequireOrgOwnerAsync(principal, org, cancellationToken);
        var found = await GetTeamEntityAsync(org, team, cancellationToken);
        if (body.Name is { } name && name != found.Name)
        {
            throw new DtrException(DtrError.InvalidFormField, "name: a team is not renamed here; make a new team and move its members and grants");
        }

        var updated = found with { Description = body.Description ?? found.Description };
        if (!await accounts.UpdateTeamAsync(updated, cancellationToken))
        {
            throw new DtrException(DtrError.NoSuchTeam, $"no team {team} in {org}");
        }

        return View(updated, await OrgIdAsync(org, cancellationToken));
    }

    /// <summary>What eNZi addresses as <c>id:&lt;uuid&gt;</c>: the account's name; NO_SUCH_ACCOUNT when no account has the id.</summary>
    public async Task<string> AccountNameOfIdAsync(string id, CancellationToken cancellationToken = default) =>
        (await accounts.FindAccountByIdAsync(id, cancellationToken))?.Name ?? throw new DtrException(DtrError.NoSuchAccount, "no account has that id");

    /// <summary>A team of <paramref name="org"/> addressed by id: its name; NO_SUCH_TEAM when none has the id.</summary>
    public async Task<string> TeamNameOfIdAsync(string org, string id, CancellationToken cancellationToken = default) =>
        (await accounts.FindTeamByIdAsync(org, id, cancellationToken))?.Name ?? throw new DtrException(DtrError.NoSuchTeam, $"no team of {org} has that id");

    private async Task<string> OrgIdAsync(string org, CancellationToken cancellationToken) =>
        (await accounts.GetAccountOrNullAsync(org, cancellationToken))?.Id ?? "";

    public async Task<TeamList> ListTeamsAsync(Principal principal, string org, string? start, int limit, CancellationToken cancellationToken = default)
    {
        await RequireOrgMemberAsync(principal, org, cancellationToken);
        var page = await accounts.ListTeamsAsync(org, start, limit + 1, cancellationToken);
        var orgId = await OrgIdAsync(org, cancellationToken);
        return new TeamList(page.Take(limit).Select(t => View(t, orgId)).ToList(), page.Count > limit ? page[limit - 1].Name : "");
    }

    public async Task<TeamView> GetTeamAsync(Principal principal, string org, string team, CancellationToken cancellationToken = default)
    {
        await RequireOrgMemberAsync(principal, org, cancellationToken);
        return View(await GetTeamEntityAsync(org, team, cancellationToken), await OrgIdAsync(org, cancellationToken));
    }

    public async Task DeleteTeamAsync(Principal principal, string org, string team, CancellationToken cancellationToken = default)
    {
        await RequireOrgOwnerAsync(principal, org, cancellationToken);
        if (!await accounts.DeleteTeamAsync(org, team, cancellationToken))
        {
            throw new DtrException(DtrError.NoSuchTeam, $"no team {team} in {org}");
        }
    }

    public async Task<MemberList> ListTeamMembersAsync(
        Principal principal, string org, string team, string? start, int limit, string? filter, CancellationToken cancellationToken = default)
    {
        await RequireOrgMemberAsync(principal, org, cancellationToken);
        await GetTeamEntityAsync(org, team, cancellationToken);
        var keep = MemberFilter(filter);
        var page = await PageAsync((after, count) => accounts.ListTeamMembersAsync(org, team, after, count, cancellationToken), m => m.User, m => keep(m.IsAdmin), start, limit);
        var members = new List<MemberView>();
        foreach (var member in page.Take(limit))
        {
            members.Add(new MemberView(View(await GetAsync(member.User, cancellationToken)), member.IsAdmin));
        }

        return new MemberList(members, page.Count > limit ? page[limit - 1].User : "");
    }

    /// <summary>Adds a user to a team (and to the organization, as a plain member, when not in it yet).</summary>
    public async Task<MemberView> SetTeamMemberAsync(Principal principal, string org, string team, string user, MemberPut body, CancellationToken cancellationToken = default)
    {
        await RequireOrgOwnerAsync(principal, org, cancellationToken);
        await GetTeamEntityAsync(org, team, cancellationToken);
        var account = await GetUserAsync(user, cancellationToken);
        if (await accounts.GetOrgMemberOrNullAsync(org, user, cancellationToken) is null)
        {
            await accounts.SetOrgMemberAsync(org, user, isAdmin: false, cancellationToken);
        }

        await accounts.SetTeamMemberAsync(org, team, user, body.IsAdmin, cancellationToken);
        return new MemberView(View(account), body.IsAdmin);
    }

    public async Task RemoveTeamMemberAsync(Principal principal, string org, string team, string user, CancellationToken cancellationToken = default)
    {
        await RequireOrgOwnerAsync(principal, org, cancellationToken);
        if (!await accounts.RemoveTeamMemberAsync(org, team, user, cancellationToken))
        {
            throw new DtrException(DtrError.NoSuchMember, $"{user} is not a member of {org}/{team}");
        }
    }

    // ---- personal access tokens -------------------------------------------------------------------------

    /// <summary>Creates a token for the caller; the token itself is in this answer only. <paramref name="userAgent"/> is kept as DTR's <c>creatorUa</c>.</summary>
    public async Task<ApiTokenView> CreateTokenAsync(Principal principal, ApiTokenCreate body, string userAgent, CancellationToken cancellationToken = default)
    {
        if (body.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            throw new DtrException(DtrError.InvalidFormField, "expiresAt must be in the future");
        }

        var token = Authenticator.TokenPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var entity = new AccessToken
        {
            AccountId = OwnAccountId(principal),
            Hash = Authenticator.HashToken(token),
            Label = (body.TokenLabel ?? "").Trim() is { Length: > 0 and <= 100 } label ? label : "token",
            IsActive = true,
            CreatedAt = time.GetUtcNow(),
            ExpiresAt = body.ExpiresAt,
            CreatorUa = userAgent.Length > 200 ? userAgent[..200] : userAgent,
        };
        await accounts.AddAccessTokenAsync(entity, cancellationToken);
        return View(entity) with { Token = token };
    }

    /// <summary>
    /// A page of tokens in hashed-token order: the caller's, or with <paramref name="username"/> that user's (the user
    /// or a system administrator).
    /// </summary>
    public async Task<(IReadOnlyList<ApiTokenView> Tokens, string? Next)> ListTokensAsync(
        Principal principal, string? username, string? pageStart, int pageSize, CancellationToken cancellationToken = default)
    {
        var (tokens, next) = Paging.Page(await accounts.ListAccessTokensAsync(await TokenOwnerIdAsync(principal, username, cancellationToken), cancellationToken),
            t => t.Hash, pageStart, pageSize);
        return (tokens.Select(View).ToList(), next);
    }

    /// <summary>One of the caller's tokens; NO_SUCH_API_TOKEN for any other.</summary>
    public async Task<ApiTokenView> GetTokenAsync(Principal principal, string hashedToken, CancellationToken cancellationToken = default) =>
        View(await accounts.GetAccessTokenOrNullAsync(OwnAccountId(principal), hashedToken, cancellationToken) ?? throw NoSuchToken());

    public async Task<ApiTokenView> UpdateTokenAsync(Principal principal, string hashedToken, ApiTokenPatch body, CancellationToken cancellationToken = default)
    {
        var token = await accounts.GetAccessTokenOrNullAsync(OwnAccountId(principal), hashedToken, cancellationToken) ?? throw NoSuchToken();
        token.Label = body.TokenLabel ?? token.Label;
        token.IsActive = body.IsActive ?? token.IsActive;
        await accounts.UpdateAccessTokenAsync(token, cancellationToken);
        return View(token);
    }

    public async Task RevokeTokenAsync(Principal principal, string hashedToken, CancellationToken cancellationToken = default)
    {
        if (!await accounts.DeleteAccessTokenAsync(OwnAccountId(principal), hashedToken, cancellationToken))
        {
            throw NoSuchToken();
        }
    }

    /// <summary>
    /// DTR's token clean-up: deletes the tokens of the caller (or of <paramref name="username"/>, for the user or a
    /// system administrator) not used since <paramref name="usedBefore"/> (never used counts) and made the way
    /// <paramref name="generatedBy"/> says: <c>auto</c> (DTR's default; tokens this registry makes for clients, of
    /// which it has none), <c>manual</c> (made through this API) or <c>all</c>. Returns how many went.
    /// </summary>
    public async Task<int> DeleteTokensAsync(
        Principal principal, string? username, string? usedBefore, string? generatedBy, CancellationToken cancellationToken = default)
    {
        DateTimeOffset? before = usedBefore is null ? null
            : DateTimeOffset.TryParse(usedBefore, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at
            : throw new DtrException(DtrError.InvalidParameter, "usedbefore must be a date or an RFC 3339 time");
        var matches = (generatedBy ?? "auto") switch
        {
            "auto" => false,
            "manual" or "all" => true,
            _ => throw new DtrException(DtrError.InvalidParameter, "generatedby must be auto, manual or all"),
        };
        var owner = await TokenOwnerIdAsync(principal, username, cancellationToken);
        var deleted = 0;
        foreach (var token in (await accounts.ListAccessTokensAsync(owner, cancellationToken)).Where(t => matches && (before is null || (t.LastUsed ?? default) < before)))
        {
            deleted += await accounts.DeleteAccessTokenAsync(owner, token.Hash, cancellationToken) ? 1 : 0;
        }

        return deleted;
    }

    /// <summary>The account whose tokens a call is about: the caller's, or a named user's for that user or a system administrator.</summary>
    private async Task<string> TokenOwnerIdAsync(Principal principal, string? username, CancellationToken cancellationToken)
    {
        if (username is null || username == principal.Name)
        {
            return OwnAccountId(principal);
        }

        if (!principal.IsAdmin)
        {
            throw new DtrException(DtrError.NotAuthorized, "another user's tokens are that user's and system administrators'");
        }

        return await accounts.GetAccountOrNullAsync(username, cancellationToken) is { IsOrg: false } account
            ? account.Id
            : throw new DtrException(DtrError.NoSuchUser, $"no user {username}");
    }

    private static DtrException NoSuchToken() => new(DtrError.NoSuchToken, "no such API token");

    // ---- helpers ----------------------------------------------------------------------------------------

    /// <summary>Account and team names: one OCI path component (so they can be namespaces), 2 to 100 characters.</summary>
    public static string CheckAccountName(string? name) =>
        name is { Length: >= 2 and <= 100 } && AccountName().IsMatch(name)
            ? name
            : throw new DtrException(DtrError.InvalidFormField, "name: 2 to 100 lowercase letters, digits and separators (. _ -), starting and ending with a letter or digit");

    public static AccountView View(Account a) => new(a.Name, a.Id, a.FullName, a.IsOrg, a.IsAdmin, a.IsActive);

    private static TeamView View(Team t, string orgId) => new(t.Id, orgId, t.Org, t.Name, t.Description);

    private static ApiTokenView View(AccessToken t) => new(null, t.Hash, t.Label, t.IsActive, GoTime.Format(t.LastUsed), t.CreatedAt, t.ExpiresAt, t.CreatorUa);

    private async Task<Account> GetAsync(string name, CancellationToken cancellationToken) =>
        await accounts.GetAccountOrNullAsync(name, cancellationToken) ?? throw new DtrException(DtrError.NoSuchAccount, $"no account {name}");

    private async Task<Account> GetUserAsync(string name, CancellationToken cancellationToken)
    {
        var account = await GetAsync(name, cancellationToken);
        return account.IsOrg ? throw new DtrException(DtrError.NoSuchAccount, $"{name} is an organization, not a user") : account;
    }

    private async Task<Team> GetTeamEntityAsync(string org, string team, CancellationToken cancellationToken) =>
        await accounts.GetTeamOrNullAsync(org, team, cancellationToken) ?? throw new DtrException(DtrError.NoSuchTeam, $"no team {team} in {org}");

    private async Task RequireOrgAsync(string org, CancellationToken cancellationToken)
    {
        if ((await accounts.GetAccountOrNullAsync(org, cancellationToken))?.IsOrg != true)
        {
            throw new DtrException(DtrError.NoSuchAccount, $"no organization {org}");
        }
    }

    /// <summary>The caller (signed in: the route requires it) owns <paramref name="org"/>, or is a system administrator.</summary>
    private async Task RequireOrgOwnerAsync(Principal principal, string org, CancellationToken cancellationToken)
    {
        await RequireOrgAsync(org, cancellationToken);
        if (!await permissions.IsOrgOwnerAsync(principal, org, cancellationToken))
        {
            throw new DtrException(DtrError.NotAuthorized, $"only owners of {org} may do this");
        }
    }

    /// <summary>The caller (signed in: the route requires it) is a member of <paramref name="org"/>, or a system administrator.</summary>
    private async Task RequireOrgMemberAsync(Principal principal, string org, CancellationToken cancellationToken)
    {
        await RequireOrgAsync(org, cancellationToken);
        if (!principal.IsAdmin && await accounts.GetOrgMemberOrNullAsync(org, principal.Name!, cancellationToken) is null)
        {
            throw new DtrException(DtrError.NotAuthorized, $"only members of {org} may see this");
        }
    }

    /// <summary>The caller's account id, under which its personal access tokens are kept (there is none with authentication off).</summary>
    private static string OwnAccountId(Principal principal) =>
        principal.AccountId ?? throw new DtrException(DtrError.NotAuthorized, "personal access tokens belong to accounts; authentication is off");

    [GeneratedRegex("^[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*$")]
    private static partial Regex AccountName();
}
