using System.Diagnostics.CodeAnalysis;

namespace Registry.Auth;

/// <summary>
/// A token scope, <c>type:name:actions</c> (distribution docs/spec/auth/scope.md): <c>repository:a/b:pull,push</c>
/// or <c>registry:catalog:*</c>. The name may hold colons only in the resource class form, which is not supported.
/// </summary>
public sealed record Scope(string Type, string Name, IReadOnlyList<string> Actions)
{
    public const string RepositoryType = "repository";
    public const string RegistryType = "registry";

    /// <summary>
    /// A grant on the Notary trust data of a GUN (host/repository), under the permissions of its repository. Clients
    /// ask with <c>repository:&lt;GUN&gt;</c>; the registry grants this type too, so that a name that reads both as a
    /// repository and as a GUN (<c>my.org/app</c>) is never granted on one reading and used on the other.
    /// </summary>
    public const string TrustType = "notary";
    public const string CatalogName = "catalog";

    public static readonly Scope Catalog = new(RegistryType, CatalogName, [Access.All]);

    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";

    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out Scope? scope)
    {
        scope = null;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 1024)
        {
            return false;
        }

        var first = value.IndexOf(':', StringComparison.Ordinal);
        var last = value.LastIndexOf(':');
        if (first <= 0 || last <= first + 1 || last == value.Length - 1)
        {
            return false;
        }

        var type = value[..first];
        var name = value[(first + 1)..last];
        var actions = value[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (type is not (RepositoryType or RegistryType) || actions.Length == 0)
        {
            return false;
        }

        scope = new Scope(type, name, actions.Distinct().ToList());
        return true;
    }

    /// <summary>Every scope of the <c>scope</c> parameters (each may hold several, space separated); malformed ones are dropped.</summary>
    public static IReadOnlyList<Scope> ParseAll(IEnumerable<string?> values) =>
        values.SelectMany(v => (v ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(v => TryParse(v, out var s) ? s : null)
            .OfType<Scope>()
            .ToList();
}
