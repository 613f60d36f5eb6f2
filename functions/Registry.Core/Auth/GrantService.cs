using Registry.Trust;

namespace Registry.Auth;

/// <summary>What a token may carry: the intersection of the scopes asked for and what the permission model allows.</summary>
public sealed class GrantService(PermissionService permissions)
{
    public async Task<IReadOnlyList<Scope>> GrantAsync(Principal principal, IReadOnlyList<Scope> requested, CancellationToken cancellationToken = default)
    {
        var granted = new List<Scope>();
        foreach (var group in requested.GroupBy(s => (s.Type, s.Name)))
        {
            var asked = group.SelectMany(s => s.Actions).Distinct().ToList();
            IReadOnlyList<string> allowed = group.Key.Type switch
            {
                Scope.RegistryType when group.Key.Name == Scope.CatalogName && principal.IsAdmin => [Access.All],
                // a repository name, or a Notary GUN (host/name), whose repository's permissions apply
                Scope.RepositoryType when Gun.TryParse(group.Key.Name, out var gun) =>
                    Access.ActionsOf(await permissions.GetLevelAsync(principal, gun.Repository, cancellationToken)),
                _ => [],
            };
            var actions = asked.Where(allowed.Contains).ToList();
            if (actions.Count > 0)
            {
                granted.Add(new Scope(group.Key.Type, group.Key.Name, actions));
            }
        }

        return granted;
    }
}
