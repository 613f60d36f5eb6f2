using System.Text.RegularExpressions;
using Registry.Auth;
using Registry.Errors;
using Registry.Oci;
using Registry.Services;
using Registry.Stores;
using Registry.Records;

namespace Registry.Dtr;

/// <summary>
/// DTR's repository API: repositories under a namespace with their settings, their tags, and team access per
/// repository and per namespace, pruning and promotion policies. Every call is checked against the permission model; a repository the caller
/// may not see is answered as if it did not exist.
/// </summary>
public sealed partial class RepositoryApiService(
    IMetadataStore metadata, IAccountStore accounts, PermissionService permissions, PruningService pruning,
    PromotionService promotions, PushPipeline pushes, ISigningStore signing, Trust.TrustDataService notary,
    Events.EventService events, Events.WebhookService webhooks, Audit.AuditService audit, RepositoryCounters counters)
{
    public async Task<RepositoryView> CreateAsync(Principal principal, string ns, RepositoryCreate body, CancellationToken cancellationToken = default)
    {
        var namespaceType = await GetNamespaceTypeAsync(ns, cancellationToken);
        if (await permissions.GetNamespaceLevelAsync(principal, ns, cancellationToken) < AccessLevel.Admin)
        {
            throw Deny(principal, $"creating repositories in {ns} needs admin access to the namespace");
        }

        var name = ParseName(ns, body.Name);
        var settings = new RepositoryRecord();
        Apply(settings, body);
        if (!await metadata.AddRepositoryAsync(name, settings, cancellationToken))
        {
            throw new DtrException(DtrError.RepositoryExists, $"repository {name} exists already");
        }

        var view = View(name, settings, namespaceType);
        await RaiseRepositoryEventAsync(name, "REPO_CREATED", principal, view, cancellationToken);
        return view;
    }

    public async Task<(RepositoryList List, string? Next)> ListAsync(
        Principal principal, string? ns, string? pageStart, int pageSize, CancellationToken cancellationToken = default)
    {
        if (ns is not null)
        {
            await GetNamespaceTypeAsync(ns, cancellationToken);
        }

        var visible = new List<RepositoryView>();
        var from = pageStart;
        var includeFrom = true;
        string? next = null;
        while (next is null)
        {
            var batch = await metadata.ListRepositoryRecordsAsync(ns is null ? null : ns + "/", from, includeFrom, 100, cancellationToken);
            foreach (var stored in batch)
            {
                var name = stored.Name;
                if (!RepositoryName.TryParse(name, out var repository) || PermissionService.NamespaceOf(repository).Length == 0)
                {
                    continue;
                }

                if (visible.Count == pageSize)
                {
                    next = name;
                    break;
                }

                if (await permissions.GetLevelAsync(principal, repository, cancellationToken) >= AccessLevel.ReadOnly)
                {
                    visible.Add(View(repository, stored, await GetNamespaceTypeOrUserAsync(PermissionService.NamespaceOf(repository), cancellationToken)));
                }
            }

            if (batch.Count < 100)
            {
                break;
            }

            from = batch[^1].Name;
            includeFrom = false;
        }

        return (new RepositoryList(await WithCountsAsync(visible, cancellationToken)), next);
    }

    public async Task<RepositoryView> GetAsync(Principal principal, string ns, string repo, CancellationToken cancellationToken = default)
    {
        var (name, stored) = await RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return (await WithCountsAsync([View(name, stored, await GetNamespaceTypeOrUserAsync(ns, cancellationToken))], cancellationToken))[0];
    }

    public async Task<RepositoryView> UpdateAsync(Principal principal, string ns, string repo, RepositoryCreate body, CancellationToken cancellationToken = default)
    {
        var (name, stored) = await RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        if (body.Name is not null && body.Name != repo)
        {
            throw new DtrException(DtrError.InvalidRepositoryName, "repositories cannot be renamed");
        }

        Apply(stored, body);
        if (!await metadata.UpdateRepositoryAsync(stored, cancellationToken))
        {
            throw new DtrException(DtrError.Conflict, "the repository changed meanwhile; try again");
        }

        var view = View(name, stored, await GetNamespaceTypeOrUserAsync(ns, cancellationToken));
        await RaiseRepositoryEventAsync(name, "REPO_UPDATED", principal, view, cancellationToken);
        return view;
    }

    /// <summary>
    /// DTR's toggle: scan on push on or off for every repository (system administrators). Each repository is written
    /// with its ETag; one changed meanwhile is read again and written again.
    /// </summary>
    public async Task SetScanOnPushForAllAsync(ScanOnPushToggle body, CancellationToken cancellationToken = default)
    {
        if (body.ScanOnPush is not { } scanOnPush)
        {
            throw new DtrException(DtrError.InvalidFormField, "scanOnPush: true or false is required");
        }

        string? from = null;
        while (true)
        {
            var batch = await metadata.ListRepositoryRecordsAsync(null, from, false, 100, cancellationToken);
            foreach (var stored in batch)
            {
                for (var record = stored; record is not null && record.ScanOnPush != scanOnPush;)
                {
                    record.ScanOnPush = scanOnPush;
                    if (await metadata.UpdateRepositoryAsync(record, cancellationToken))
                    {
                        break;
                    }

                    record = RepositoryName.TryParse(stored.Name, out var name) ? await metadata.GetRepositoryOrNullAsync(name, cancellationToken) : null;
                }
            }

            if (batch.Count < 100)
            {
                return;
            }

            from = batch[^1].Name;
        }
    }

    /// <summary>Deletes a repository (repository admin); like DTR, answers success when it does not exist.</summary>
    public async Task DeleteAsync(Principal principal, string ns, string repo, CancellationToken cancellationToken = default)
    {
        await DeleteAsync(principal, ParseName(ns, repo), cancellationToken);
    }

    /// <summary>
    /// DTR's deprecated deletion of every repository of a user or organization (for the user, an admin of the
    /// organization or a system administrator): each as a repository is deleted, with its tags, policies and grants.
    /// </summary>
    public async Task DeleteAllAsync(Principal principal, string ns, CancellationToken cancellationToken = default)
    {
        await RequireNamespaceAdminAsync(principal, ns, cancellationToken);
        while (await metadata.ListRepositoryRecordsAsync(ns + "/", null, true, 100, cancellationToken) is { Count: > 0 } batch)
        {
            foreach (var repository in batch)
            {
                if (RepositoryName.TryParse(repository.Name, out var name))
                {
                    await DeleteAsync(principal, name, cancellationToken);
                }
            }
        }
    }

    private async Task DeleteAsync(Principal principal, RepositoryName name, CancellationToken cancellationToken)
    {
        if (await permissions.GetLevelAsync(principal, name, cancellationToken) < AccessLevel.Admin)
        {
            var visible = await metadata.GetRepositoryOrNullAsync(name, cancellationToken) is not null
                && await permissions.GetLevelAsync(principal, name, cancellationToken) >= AccessLevel.ReadOnly;
            throw visible || principal.IsAnonymous ? Deny(principal, "deleting a repository needs admin access") : NoSuchRepository(name);
        }

        await metadata.DeleteRepositoryAsync(name, cancellationToken);
        await RaiseRepositoryEventAsync(name, "REPO_DELETED", principal, null, cancellationToken);
        await signing.DeleteAllAsync(name, cancellationToken);
        await notary.DeleteRepositoryAsync(name, cancellationToken);
        await counters.DeleteAsync(name, cancellationToken);
        await webhooks.DeleteForAsync(name.Value, cancellationToken);
        await audit.DeleteRepositoryAsync(name.Value, cancellationToken);
        var grants = GrantTarget.Of(name);
        foreach (var team in (await accounts.ListTeamAccessAsync(grants, cancellationToken)).Keys)
        {
            await accounts.RemoveTeamAccessAsync(grants, team, cancellationToken);
        }

        // Policies of other repositories that promote into this one: whoever makes a repository of this name again
        // did not agree to receive their images.
        foreach (var policy in await promotions.ListByTargetAsync(name, cancellationToken))
        {
            if (RepositoryName.TryParse(policy.Source, out var source))
            {
                await promotions.DeleteAsync(source, policy.Id, cancellationToken);
            }
        }
    }

    /// <summary>DTR's repository activity: the repository's audit log, newest first (repository admins).</summary>
    public async Task<AuditListView> ListActivityAsync(Principal principal, string ns, string repo, string? start, int limit, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        return new AuditListView(await audit.ListAsync(name.Value, SystemApiService.CheckStart(start), limit, cancellationToken));
    }

    /// <summary>DTR's REPO_EVENT, with the repository as the API shows it (none for a deletion).</summary>
    private async Task RaiseRepositoryEventAsync(RepositoryName name, string repoEvent, Principal principal, RepositoryView? view, CancellationToken cancellationToken) =>
        await events.RaiseAsync(events.RepositoryEvent(name, repoEvent, principal.Name, view is null ? null : System.Text.Json.JsonSerializer.SerializeToNode(view)),
            cancellationToken);

    // ---- team access ------------------------------------------------------------------------------------

    public async Task<RepositoryTeamAccessList> ListTeamAccessAsync(Principal principal, string ns, string repo, CancellationToken cancellationToken = default)
    {
        var (name, stored) = await RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        var list = await TeamAccessListAsync(principal, ns, GrantTarget.Of(name), cancellationToken);
        return new RepositoryTeamAccessList(View(name, stored, await GetNamespaceTypeOrUserAsync(ns, cancellationToken)), list);
    }

    /// <summary>Grants a team of the repository's organization a level on the repository (repository admin); answers the repository's grants, as DTR does.</summary>
    public async Task<RepositoryTeamAccessList> SetTeamAccessAsync(
        Principal principal, string ns, string repo, string team, TeamAccessPut body, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        await SetGrantAsync(ns, team, body, GrantTarget.Of(name), cancellationToken);
        return await ListTeamAccessAsync(principal, ns, repo, cancellationToken);
    }

    /// <summary>Revokes a team's grant on the repository; as in DTR, a grant or team that does not exist is no error.</summary>
    public async Task RemoveTeamAccessAsync(Principal principal, string ns, string repo, string team, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        await accounts.RemoveTeamAccessAsync(GrantTarget.Of(name), team, cancellationToken);
    }

    public async Task<NamespaceTeamAccessList> ListNamespaceTeamAccessAsync(Principal principal, string ns, CancellationToken cancellationToken = default)
    {
        await RequireNamespaceAdminAsync(principal, ns, cancellationToken);
        return new NamespaceTeamAccessList(ns, await TeamAccessListAsync(principal, ns, GrantTarget.OfNamespace(ns), cancellationToken));
    }

    /// <summary>
    /// A team's grant on a namespace, for an admin of the namespace or a member of the team;
    /// NO_SUCH_NAMESPACE_TEAM_ACCESS when it has none.
    /// </summary>
    public async Task<NamespaceTeamAccessView> GetNamespaceTeamAccessAsync(Principal principal, string ns, string team, CancellationToken cancellationToken = default)
    {
        await GetNamespaceTypeAsync(ns, cancellationToken);
        var member = await RequireTeamMemberOrAdminAsync(principal, ns, team, cancellationToken);
        var grants = await accounts.ListTeamAccessAsync(GrantTarget.OfNamespace(ns), cancellationToken);
        if (!grants.TryGetValue(team, out var level) || await accounts.GetTeamOrNullAsync(ns, team, cancellationToken) is not { } found)
        {
            throw new DtrException(DtrError.NoSuchNamespaceTeamAccess, $"team {team} has no grant on the namespace {ns}");
        }

        return new NamespaceTeamAccessView(level, new TeamRef(found.Id, member, ns, team), ns);
    }

    public async Task<NamespaceTeamAccessView> SetNamespaceTeamAccessAsync(
        Principal principal, string ns, string team, TeamAccessPut body, CancellationToken cancellationToken = default)
    {
        await RequireNamespaceAdminAsync(principal, ns, cancellationToken);
        var (level, found) = await SetGrantAsync(ns, team, body, GrantTarget.OfNamespace(ns), cancellationToken);
        return new NamespaceTeamAccessView(level, new TeamRef(found.Id, await IsTeamMemberAsync(principal, ns, team, cancellationToken), ns, team), ns);
    }

    /// <summary>
    /// A user's effective access to a repository (DTR's <c>RepoUserAccess</c>; <c>""</c> for none), for the user, a
    /// system administrator or an admin of the repository; the repository must be one the caller may see.
    /// </summary>
    public async Task<RepoUserAccessView> GetUserRepositoryAccessAsync(Principal principal, string user, string ns, string repo, CancellationToken cancellationToken = default)
    {
        var (name, stored) = await RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        if (principal.Name != user && await permissions.GetLevelAsync(principal, name, cancellationToken) < AccessLevel.Admin)
        {
            throw Deny(principal, $"another user's access to {name} is for that user and the repository's admins");
        }

        var account = await accounts.GetAccountOrNullAsync(user, cancellationToken);
        if (account is null || account.IsOrg)
        {
            throw new DtrException(DtrError.NoSuchAccount, $"no user {user}");
        }

        var level = await permissions.GetLevelAsync(new Principal(account.Name, account.Id, account.IsAdmin), name, cancellationToken);
        return new RepoUserAccessView(level == AccessLevel.None ? "" : Access.ToWire(level), AccountService.View(account),
            View(name, stored, await GetNamespaceTypeOrUserAsync(ns, cancellationToken)));
    }

    /// <summary>
    /// The repositories a team is granted one by one (DTR's <c>ListTeamRepoAccess</c>), for an admin of the
    /// organization or a member of the team.
    /// </summary>
    public async Task<TeamRepositoryAccessList> ListTeamRepositoryAccessAsync(Principal principal, string org, string team, CancellationToken cancellationToken = default)
    {
        if (await GetNamespaceTypeAsync(org, cancellationToken) != "organization" || await accounts.GetTeamOrNullAsync(org, team, cancellationToken) is not { } found)
        {
            throw new DtrException(DtrError.NoSuchTeam, $"no team {team} in {org}");
        }

        var member = await RequireTeamMemberOrAdminAsync(principal, org, team, cancellationToken);
        var list = new List<RepoAccessView>();
        foreach (var (repository, level) in await accounts.ListRepositoryGrantsOfTeamAsync(org, team, cancellationToken))
        {
            if (RepositoryName.TryParse(repository, out var name) && await metadata.GetRepositoryOrNullAsync(name, cancellationToken) is { } stored)
            {
                list.Add(new RepoAccessView(level, View(name, stored, "organization")));
            }
        }

        return new TeamRepositoryAccessList(new TeamRef(found.Id, member, org, team), list);
    }

    /// <summary>Revokes a team's grant on the namespace; as in DTR, a grant or team that does not exist is no error.</summary>
    public async Task RemoveNamespaceTeamAccessAsync(Principal principal, string ns, string team, CancellationToken cancellationToken = default)
    {
        await RequireNamespaceAdminAsync(principal, ns, cancellationToken);
        await accounts.RemoveTeamAccessAsync(GrantTarget.OfNamespace(ns), team, cancellationToken);
    }

    // ---- pruning policies -----------------------------------------------------------------------------

    public async Task<IReadOnlyList<PruningPolicyView>> ListPruningPoliciesAsync(Principal principal, string ns, string repo, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return (await pruning.ListAsync(name, cancellationToken)).Select(p => View(name, p)).ToList();
    }

    public async Task<PruningPolicyView> GetPruningPolicyAsync(Principal principal, string ns, string repo, string id, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var policy = await pruning.GetOrNullAsync(name, id, cancellationToken) ?? throw NoSuchPruningPolicy(id);
        return View(name, policy);
    }

    /// <summary>Creates (id null) or replaces a policy (repository admin); with initialEvaluation, prunes at once.</summary>
    public async Task<PruningPolicyView> SavePruningPolicyAsync(
        Principal principal, string ns, string repo, string? id, PruningPolicyBody body, bool initialEvaluation, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        var rules = CheckRules(body.Rules);
        if (id is not null && await pruning.GetOrNullAsync(name, id, cancellationToken) is null)
        {
            throw NoSuchPruningPolicy(id);
        }

        var policy = await pruning.SaveAsync(name, id, body.Enabled ?? true, rules, cancellationToken);
        if (initialEvaluation && policy.Enabled)
        {
            await pruning.PruneAsync(name, cancellationToken);
            policy = await pruning.GetOrNullAsync(name, policy.Id, cancellationToken) ?? policy;
        }

        return View(name, policy);
    }

    public async Task DeletePruningPolicyAsync(Principal principal, string ns, string repo, string id, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        if (!await pruning.DeleteAsync(name, id, cancellationToken))
        {
            throw NoSuchPruningPolicy(id);
        }
    }

    /// <summary>The dry run: the tags a policy would prune now, removing nothing.</summary>
    public async Task<IReadOnlyList<PrunedTag>> TestPruningPolicyAsync(Principal principal, string ns, string repo, PruningPolicyBody body, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return await pruning.SelectAsync(name, [CheckRules(body.Rules)], cancellationToken);
    }

    internal static IReadOnlyList<PolicyRule> CheckRules(IReadOnlyList<PolicyRule>? rules)
    {
        if (rules is not { Count: > 0 and <= 32 })
        {
            throw new DtrException(DtrError.InvalidFormField, "rules: 1 to 32 rules");
        }

        foreach (var rule in rules)
        {
            var problem = rule is null ? "a rule is null" : rule.Validate();
            if (problem is not null)
            {
                throw new DtrException(DtrError.InvalidFormField, $"rules: {problem}");
            }
        }

        return rules;
    }

    private static PruningPolicyView View(RepositoryName name, PruningPolicy p) =>
        new(p.Id, name.Value, p.Enabled, PolicyRule.Load(p.Rules), p.LastPrunedAt);

    private static DtrException NoSuchPruningPolicy(string id) => new(DtrError.NoSuchPruningPolicy, $"no pruning policy {id}");

    // ---- promotion policies ---------------------------------------------------------------------------

    /// <summary>The policies promoting from this repository (<paramref name="asSource"/>) or into it; read access.</summary>
    public async Task<IReadOnlyList<PromotionPolicyView>> ListPromotionPoliciesAsync(
        Principal principal, string ns, string repo, bool asSource, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var policies = asSource ? await promotions.ListAsync(name, cancellationToken) : await promotions.ListByTargetAsync(name, cancellationToken);
        return policies.Select(View).ToList();
    }

    public async Task<PromotionPolicyView> GetPromotionPolicyAsync(Principal principal, string ns, string repo, string id, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return View(await promotions.GetOrNullAsync(name, id, cancellationToken) ?? throw NoSuchPromotionPolicy(id));
    }

    /// <summary>
    /// Creates (id null) or replaces a policy; needs admin on the source and on the target (DTR's rule). With
    /// initialEvaluation, the source's existing tags are promoted at once.
    /// </summary>
    public async Task<PromotionPolicyView> SavePromotionPolicyAsync(
        Principal principal, string ns, string repo, string? id, PromotionPolicyBody body, bool initialEvaluation, CancellationToken cancellationToken = default)
    {
        var (source, _) = await RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        var rules = CheckRules(body.Rules);
        if (TagTemplate.Validate(body.TagTemplate) is { } problem)
        {
            throw new DtrException(DtrError.InvalidFormField, problem);
        }

        var target = await RequireTargetAsync(principal, body.TargetRepository, AccessLevel.Admin, cancellationToken);
        if (target == source)
        {
            throw new DtrException(DtrError.InvalidFormField, "targetRepository: a policy cannot promote into its own source");
        }

        if (id is not null && await promotions.GetOrNullAsync(source, id, cancellationToken) is null)
        {
            throw NoSuchPromotionPolicy(id);
        }

        var policy = await promotions.SaveAsync(source, id, body.Enabled ?? true, rules, target, body.TagTemplate!, cancellationToken);
        if (initialEvaluation && policy.Enabled && await promotions.EvaluateAsync(source, policy, cancellationToken) is { Count: > 0 } made)
        {
            await pushes.RunStepsAsync(made, cancellationToken);
            policy = await promotions.GetOrNullAsync(source, policy.Id, cancellationToken) ?? policy;
        }

        return View(policy);
    }

    public async Task DeletePromotionPolicyAsync(Principal principal, string ns, string repo, string id, CancellationToken cancellationToken = default)
    {
        var (name, _) = await RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        if (!await promotions.DeleteAsync(name, id, cancellationToken))
        {
            throw NoSuchPromotionPolicy(id);
        }
    }

    /// <summary>DTR's manual promotion: read access on the source, write access on the target.</summary>
    public async Task<PromotionView> PromoteAsync(Principal principal, string ns, string repo, string tag, PromotionBody body, CancellationToken cancellationToken = default)
    {
        var (source, _) = await RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var target = await RequireTargetAsync(principal, body.TargetRepository, AccessLevel.ReadWrite, cancellationToken);
        if (!Tag.TryParse(tag, out var sourceTag))
        {
            throw new DtrException(DtrError.NoSuchTag, $"no tag {tag} in {source}");
        }

        if (!Tag.TryParse(body.TargetTag, out var targetTag))
        {
            throw new DtrException(DtrError.InvalidFormField, "targetTag: a valid tag is required");
        }

        try
        {
            var made = await promotions.PromoteAsync(source, sourceTag, target, targetTag, cancellationToken);
            await pushes.RunStepsAsync(made, cancellationToken);
            return new PromotionView("MANUAL_P", source.Value, sourceTag.Value, target.Value, targetTag.Value, made[^1].Manifest.Digest.ToString());
        }
        catch (RegistryException e)
        {
            throw e.Code switch
            {
                OciErrorCode.ManifestUnknown => new DtrException(DtrError.NoSuchTag, $"no tag {sourceTag} in {source}"),
                OciErrorCode.Denied => new DtrException(DtrError.TagImmutable, e.Message),
                _ => new DtrException(DtrError.Conflict, $"the image could not be promoted: {e.Message}"),
            };
        }
    }

    /// <summary>The target of a promotion, <c>namespace/repository</c>, which must exist and allow <paramref name="needed"/>.</summary>
    private async Task<RepositoryName> RequireTargetAsync(Principal principal, string? target, AccessLevel needed, CancellationToken cancellationToken)
    {
        var parts = target?.Split('/') ?? [];
        if (parts.Length != 2)
        {
            throw new DtrException(DtrError.InvalidFormField, "targetRepository: namespace/repository is required");
        }

        return (await RequireAsync(principal, parts[0], parts[1], needed, cancellationToken)).Name;
    }

    private static PromotionPolicyView View(PromotionPolicy p) =>
        new(p.Id, p.Source, p.TargetRepository, p.TagTemplate, p.Enabled, PolicyRule.Load(p.Rules), p.LastPromotedAt);

    private static DtrException NoSuchPromotionPolicy(string id) => new(DtrError.NoSuchPromotionPolicy, $"no promotion policy {id}");

    // ---- helpers ----------------------------------------------------------------------------------------

    /// <summary>
    /// DTR's rule for repositories made through the API: 2 to 255 lowercase letters, digits, hyphens and
    /// underscores, and the whole name must be a valid OCI name.
    /// </summary>
    public static RepositoryName ParseName(string ns, string? repo)
    {
        if (repo is null || !DtrRepositoryName().IsMatch(repo) || !RepositoryName.TryParse($"{ns}/{repo}", out var name))
        {
            throw new DtrException(DtrError.InvalidRepositoryName,
                "repository names have 2 to 255 lowercase letters, digits, hyphens and underscores, start and end with a letter or digit, and are at most 255 characters with the namespace");
        }

        return name;
    }

    /// <summary>The repository, when the principal has <paramref name="needed"/> on it; DTR's errors otherwise.</summary>
    internal async Task<(RepositoryName Name, RepositoryRecord Stored)> RequireAsync(
        Principal principal, string ns, string repo, AccessLevel needed, CancellationToken cancellationToken)
    {
        var name = ParseName(ns, repo);
        var stored = await metadata.GetRepositoryOrNullAsync(name, cancellationToken);
        var level = stored is null ? AccessLevel.None : await permissions.GetLevelAsync(principal, name, cancellationToken);
        if (stored is null || level == AccessLevel.None)
        {
            // A repository the caller may not read answers as one that does not exist: no oracle of private names.
            throw NoSuchRepository(name);
        }

        return level >= needed ? (name, stored) : throw Deny(principal, $"this needs {Access.ToWire(needed)} access to {name}");
    }

    internal async Task RequireNamespaceAdminAsync(Principal principal, string ns, CancellationToken cancellationToken)
    {
        await GetNamespaceTypeAsync(ns, cancellationToken);
        if (await permissions.GetNamespaceLevelAsync(principal, ns, cancellationToken) < AccessLevel.Admin)
        {
            throw Deny(principal, $"this needs admin access to the namespace {ns}");
        }
    }

    private async Task<(string Level, Team Team)> SetGrantAsync(string org, string team, TeamAccessPut body, GrantTarget target, CancellationToken cancellationToken)
    {
        if (await GetNamespaceTypeAsync(org, cancellationToken) != "organization")
        {
            throw new DtrException(DtrError.NoSuchTeam, "team access is for repositories of organizations");
        }

        if (!Access.TryParseWire(body.AccessLevel, out var level))
        {
            throw new DtrException(DtrError.InvalidAccessLevel, "accessLevel must be read-only, read-write or admin");
        }

        var found = await accounts.GetTeamOrNullAsync(org, team, cancellationToken)
            ?? throw new DtrException(DtrError.NoSuchTeam, $"no team {team} in {org}");
        await accounts.SetTeamAccessAsync(target, team, Access.ToWire(level), cancellationToken);
        return (Access.ToWire(level), found);
    }

    /// <summary>
    /// DTR's rule for reading a team's grants: a member of the team or an admin of its organization's namespace.
    /// Answers whether the caller is a member (DTR's <c>clientUserIsMember</c>).
    /// </summary>
    private async Task<bool> RequireTeamMemberOrAdminAsync(Principal principal, string org, string team, CancellationToken cancellationToken)
    {
        var member = await IsTeamMemberAsync(principal, org, team, cancellationToken);
        if (!member && await permissions.GetNamespaceLevelAsync(principal, org, cancellationToken) < AccessLevel.Admin)
        {
            throw Deny(principal, $"this needs admin access to {org} or membership of the team {team}");
        }

        return member;
    }

    private async Task<bool> IsTeamMemberAsync(Principal principal, string org, string team, CancellationToken cancellationToken) =>
        !principal.IsAnonymous && (await accounts.ListTeamsOfUserAsync(principal.Name!, org, cancellationToken)).Contains(team);

    /// <summary>The grants on a target, each team with DTR's <c>clientUserIsMember</c> for the caller.</summary>
    private async Task<IReadOnlyList<TeamAccessView>> TeamAccessListAsync(Principal principal, string org, GrantTarget target, CancellationToken cancellationToken)
    {
        var mine = principal.IsAnonymous ? [] : await accounts.ListTeamsOfUserAsync(principal.Name!, org, cancellationToken);
        var list = new List<TeamAccessView>();
        foreach (var (team, level) in await accounts.ListTeamAccessAsync(target, cancellationToken))
        {
            var found = await accounts.GetTeamOrNullAsync(org, team, cancellationToken);
            list.Add(new TeamAccessView(level, new TeamRef(found?.Id ?? "", mine.Contains(team), org, team)));
        }

        return list;
    }

    /// <summary>"user" or "organization"; NO_SUCH_ACCOUNT when the namespace is no account.</summary>
    private async Task<string> GetNamespaceTypeAsync(string ns, CancellationToken cancellationToken)
    {
        var account = await accounts.GetAccountOrNullAsync(ns, cancellationToken)
            ?? throw new DtrException(DtrError.NoSuchAccount, $"no namespace {ns}");
        return account.IsOrg ? "organization" : "user";
    }

    private async Task<string> GetNamespaceTypeOrUserAsync(string ns, CancellationToken cancellationToken) =>
        (await accounts.GetAccountOrNullAsync(ns, cancellationToken))?.IsOrg == true ? "organization" : "user";

    private static void Apply(RepositoryRecord stored, RepositoryCreate body)
    {
        if (body.Visibility is not null && body.Visibility is not ("public" or "private"))
        {
            throw new DtrException(DtrError.InvalidRepositoryVisibility, "visibility must be public or private");
        }

        if (body.TagLimit is < 0)
        {
            throw new DtrException(DtrError.InvalidFormField, "tagLimit must be 0 (no limit) or more");
        }

        if (body.ShortDescription is { Length: > 140 })
        {
            throw new DtrException(DtrError.InvalidFormField, "shortDescription: at most 140 characters");
        }

        if (body.LongDescription is { Length: > 30_000 })
        {
            throw new DtrException(DtrError.InvalidFormField, "longDescription: at most 30000 characters");
        }

        if (body.ImmutableTagPatterns is { } patterns
            && (patterns.Count > TagPolicy.MaxPatterns || patterns.Any(p => p is null || !TagPolicy.IsValidPattern(p))))
        {
            throw new DtrException(DtrError.InvalidFormField,
                $"immutableTagPatterns: at most {TagPolicy.MaxPatterns} patterns of tag characters with * and ?, 1 to 128 characters each");
        }

        if ((body.ImmutableTags ?? stored.ImmutableTags) && (body.TagLimit ?? stored.TagLimit) > 0)
        {
            throw new DtrException(DtrError.InvalidFormField, "a tag limit needs immutableTags off (immutable tags are never pushed out)");
        }

        stored.ImmutableTagPatterns = body.ImmutableTagPatterns is { } set ? System.Text.Json.JsonSerializer.Serialize(set.Distinct()) : stored.ImmutableTagPatterns;
        stored.Visibility = body.Visibility ?? stored.Visibility;
        stored.ShortDescription = body.ShortDescription ?? stored.ShortDescription;
        stored.LongDescription = body.LongDescription ?? stored.LongDescription;
        stored.ScanOnPush = body.ScanOnPush ?? stored.ScanOnPush;
        stored.ImmutableTags = body.ImmutableTags ?? stored.ImmutableTags;
        stored.TagLimit = body.TagLimit ?? stored.TagLimit;
    }

    /// <summary>The views with their pulls and pushes (one query for all).</summary>
    private async Task<IReadOnlyList<RepositoryView>> WithCountsAsync(IReadOnlyList<RepositoryView> views, CancellationToken cancellationToken)
    {
        var names = views.Select(v => RepositoryName.TryParse($"{v.Namespace}/{v.Name}", out var n) ? n : default).Where(n => n.Value is not null).ToList();
        var counts = await counters.GetAsync(names, cancellationToken);
        return views.Select(v => counts.TryGetValue($"{v.Namespace}/{v.Name}", out var c) ? v with { Pulls = c.Pulls, Pushes = c.Pushes } : v).ToList();
    }

    internal static RepositoryView View(RepositoryName name, RepositoryRecord e, string namespaceType)
    {
        var ns = PermissionService.NamespaceOf(name);
        return new RepositoryView(e.Id, ns, namespaceType, name.Value[(ns.Length + 1)..], e.ShortDescription, e.LongDescription,
            e.Visibility, e.ScanOnPush, e.ImmutableTags, false, 0, 0, e.TagLimit, TagPolicy.PatternsOf(e));
    }

    private static DtrException NoSuchRepository(RepositoryName name) => new(DtrError.NoSuchRepository, $"no repository {name}");

    internal static DtrException Deny(Principal principal, string message) =>
        principal.IsAnonymous ? new DtrException(DtrError.NotAuthenticated, "authentication required") : new DtrException(DtrError.NotAuthorized, message);

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9_-]{0,253}[a-z0-9])$")]
    private static partial Regex DtrRepositoryName();
}
