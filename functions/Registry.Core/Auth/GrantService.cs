using Registry.Oci;
using Registry.Trust;

namespace Registry.Auth;

/// <summary>
/// What a token may carry: the intersection of the scopes asked for and what the permission model allows. A
/// repository scope whose name is a GUN with a host (<c>registry.example.com/acme/app</c>) is also granted as a
/// <see cref="Scope.TrustType"/> scope, on the permissions of the repository the GUN names.
/// </summary>
public sealed class GrantService(PermissionService permissions)
{
    public async Task<IReadOnlyList<Scope>> GrantAsync(Principal principal, IReadOnlyList<Scope> requested, CancellationToken cancellationToken = default)
    {
        var granted = new List<Scope>();
        foreach (var group in requested.GroupBy(s => (s.Type, s.Name)))
        {
            var asked = group.SelectMany(s => s.Actions).Distinct().ToList();
            var (type, name) = group.Key;
            if (type == Scope.RegistryType)
            {
                Add(type, name == Scope.CatalogName && principal.IsAdmin ? [Access.All] : []);
                continue;
            }

            if (type != Scope.RepositoryType)
            {
                continue;
            }

            // the name as a repository, and as a Notary GUN whose host is left out: each reading on its own permissions
            if (RepositoryName.TryParse(name, out var repository))
            {
                Add(Scope.RepositoryType, Access.ActionsOf(await permissions.GetLevelAsync(principal, repository, cancellationToken)));
            }

            if (Gun.TryParse(name, out var gun) && gun.Host.Length > 0)
            {
                Add(Scope.TrustType, Access.ActionsOf(await permissions.GetLevelAsync(principal, gun.Repository, cancellationToken)));
            }

            void Add(string grantedType, IReadOnlyList<string> allowed)
            {
                var actions = asked.Where(allowed.Contains).ToList();
                if (actions.Count > 0)
                {
                    granted.Add(new Scope(grantedType, name, actions));
                }
            }
        }

        return granted;
    }
}
