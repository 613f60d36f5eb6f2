using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Stores;

namespace Registry.Auth;

/// <summary>
/// The one permission model, for /v2/, /api/v0 and every later API. A principal's level on a repository is the
/// highest of: admin for system administrators, for the owner of a user namespace and for owners of an
/// organization; the grants of the principal's teams on the repository and on its namespace; read-only on a
/// public repository for everyone, anonymous included. Repositories that do not exist yet get the namespace's
/// level, which decides who may create them by pushing.
/// </summary>
public sealed class PermissionService(IMetadataStore metadata, IAccountStore accounts, IOptions<AuthOptions> options)
{
    private readonly bool _enabled = options.Value.Enabled;

    /// <summary>The namespace of a repository name: its first component ("" for a name without one).</summary>
    public static string NamespaceOf(RepositoryName name) => NamespaceOf(name.Value);

    /// <summary>The namespace of a repository name given as text (a policy's scope, say).</summary>
    public static string NamespaceOf(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "" : name[..slash];
    }

    public async Task<AccessLevel> GetLevelAsync(Principal principal, RepositoryName name, CancellationToken cancellationToken = default)
    {
        if (!_enabled || principal.IsAdmin)
        {
            return AccessLevel.Admin;
        }

        var repository = await metadata.GetRepositoryOrNullAsync(name, cancellationToken);
        var level = repository?.Visibility == "public" ? AccessLevel.ReadOnly : AccessLevel.None;
        if (principal.IsAnonymous)
        {
            return level;
        }

        var ns = NamespaceOf(name);
        var namespaceLevel = await GetNamespaceLevelAsync(principal, ns, cancellationToken);
        if (namespaceLevel == AccessLevel.Admin)
        {
            return AccessLevel.Admin;
        }

        level = Max(level, namespaceLevel);
        if (repository is not null && ns.Length > 0)
        {
            var teams = await accounts.ListTeamsOfUserAsync(principal.Name!, ns, cancellationToken);
            if (teams.Count > 0)
            {
                var grants = await accounts.ListTeamAccessAsync(GrantTarget.Of(name), cancellationToken);
                level = Max(level, HighestGrant(teams, grants));
            }
        }

        return level;
    }

    /// <summary>
    /// A principal's level on a whole namespace: admin in their own user namespace, as an owner of the organization
    /// or as a system administrator; otherwise the highest namespace grant of their teams there.
    /// </summary>
    public async Task<AccessLevel> GetNamespaceLevelAsync(Principal principal, string ns, CancellationToken cancellationToken = default)
    {
        if (!_enabled || principal.IsAdmin)
        {
            return AccessLevel.Admin;
        }

        if (principal.IsAnonymous || ns.Length == 0)
        {
            return AccessLevel.None;
        }

        if (ns == principal.Name)
        {
            return AccessLevel.Admin;
        }

        var membership = await accounts.GetOrgMemberOrNullAsync(ns, principal.Name!, cancellationToken);
        if (membership is null)
        {
            return AccessLevel.None;
        }

        if (membership.IsAdmin)
        {
            return AccessLevel.Admin;
        }

        var teams = await accounts.ListTeamsOfUserAsync(principal.Name!, ns, cancellationToken);
        if (teams.Count == 0)
        {
            return AccessLevel.None;
        }

        var grants = await accounts.ListTeamAccessAsync(GrantTarget.OfNamespace(ns), cancellationToken);
        return HighestGrant(teams, grants);
    }

    /// <summary>True when the principal owns the organization (or is a system administrator).</summary>
    public async Task<bool> IsOrgOwnerAsync(Principal principal, string org, CancellationToken cancellationToken = default)
    {
        if (!_enabled || principal.IsAdmin)
        {
            return true;
        }

        return !principal.IsAnonymous && (await accounts.GetOrgMemberOrNullAsync(org, principal.Name!, cancellationToken))?.IsAdmin == true;
    }

    private static AccessLevel HighestGrant(IReadOnlyList<string> teams, IReadOnlyDictionary<string, string> grants)
    {
        var level = AccessLevel.None;
        foreach (var team in teams)
        {
            if (grants.TryGetValue(team, out var wire) && Access.TryParseWire(wire, out var granted))
            {
                level = Max(level, granted);
            }
        }

        return level;
    }

    private static AccessLevel Max(AccessLevel a, AccessLevel b) => a > b ? a : b;
}
