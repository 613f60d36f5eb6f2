using Microsoft.Extensions.Logging;
using Registry.Auth;
using Registry.Oci;
using Registry.Records;
using Registry.Stores;

namespace Registry.Dtr;

/// <summary>
/// DTR's search: <c>/index/autocomplete</c> (repositories and accounts as a name is typed) and
/// <c>/index/dockersearch</c> (what <c>docker search</c> asks, also served at <c>/v1/search</c>). Names are matched
/// in a snapshot of every repository and account held by each instance and read again in the background once it is
/// <see cref="SnapshotLifetime"/> old, so a keystroke costs no table scan: a name made or deleted shows within that
/// time. Repositories are then filtered by what the caller may read, each organization's access worked out once per
/// request; accounts are not filtered, as in DTR.
/// </summary>
public sealed partial class SearchApiService(
    IMetadataStore metadata, IAccountStore accounts, PermissionService permissions, TimeProvider time, ILogger<SearchApiService> logger)
{
    public static readonly TimeSpan SnapshotLifetime = TimeSpan.FromSeconds(10);

    public const int MaxLimit = 100;

    /// <summary>Most matches checked for the caller's access per request.</summary>
    private const int MaxChecked = 1000;

    private readonly SemaphoreSlim _loading = new(1, 1);
    private Snapshot? _snapshot;

    /// <summary>DTR's autocomplete: names starting with the query first, then names holding it, each in name order.</summary>
    public async Task<AutocompleteView> AutocompleteAsync(
        Principal principal, string? query, bool includeRepositories, bool includeAccounts, string? ns, int limit, CancellationToken cancellationToken = default)
    {
        var text = Check(query);
        var snapshot = await GetSnapshotAsync(cancellationToken);
        var repositories = includeRepositories
            ? await VisibleAsync(principal, snapshot, Rank(snapshot.Repositories, r => r.Name, text, r => ns is null || PermissionService.NamespaceOf(r.Name) == ns), limit, cancellationToken)
            : [];
        var accountResults = includeAccounts
            ? Rank(snapshot.Accounts, a => a.Name, text, a => ns is null || a.Name == ns).Take(limit).Select(AccountService.View).ToList()
            : [];
        return new AutocompleteView(accountResults, Views(repositories, snapshot));
    }

    /// <summary>DTR's docker search: the repositories the caller may read whose name holds the query, <paramref name="limit"/> of them.</summary>
    public async Task<DockerSearchView> SearchAsync(Principal principal, string? query, int limit, CancellationToken cancellationToken = default)
    {
        var text = Check(query);
        var snapshot = await GetSnapshotAsync(cancellationToken);
        var visible = await VisibleAsync(principal, snapshot, Rank(snapshot.Repositories, r => r.Name, text, _ => true), MaxChecked, cancellationToken);
        var results = visible.Take(limit).Select(r => new DockerRepositoryView(r.Name, r.ShortDescription, false, false, 0)).ToList();
        return new DockerSearchView(visible.Count, query!, results);
    }

    private static string Check(string? query) =>
        query is { Length: > 0 and <= 255 } ? query : throw new DtrException(DtrError.InvalidParameter, "the query must hold 1 to 255 characters");

    /// <summary>Prefix matches (of the whole name or of the part after the namespace) first, then other matches, in name order.</summary>
    private static IEnumerable<T> Rank<T>(IReadOnlyList<T> sorted, Func<T, string> name, string text, Func<T, bool> keep)
    {
        bool Prefix(string n) => n.StartsWith(text, StringComparison.OrdinalIgnoreCase)
            || n.AsSpan(n.IndexOf('/', StringComparison.Ordinal) + 1).StartsWith(text, StringComparison.OrdinalIgnoreCase);
        var matches = sorted.Where(x => keep(x) && name(x).Contains(text, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Where(x => Prefix(name(x))).Concat(matches.Where(x => !Prefix(name(x))));
    }

    /// <summary>
    /// The candidates the caller may read, at most <paramref name="limit"/>, taken a batch at a time. Public ones, the
    /// caller's own and everything for a system administrator need no read. A private one elsewhere can be read only
    /// in an organization the caller belongs to: each organization in a batch is worked out once, all at once (the
    /// level on the namespace, and whether the caller's teams there may hold grants to single repositories), and a
    /// single repository's grants are read only when they could matter.
    /// </summary>
    private async Task<List<RepositoryRecord>> VisibleAsync(
        Principal principal, Snapshot snapshot, IEnumerable<RepositoryRecord> candidates, int limit, CancellationToken cancellationToken)
    {
        var visible = new List<RepositoryRecord>();
        var organizations = new Dictionary<string, (AccessLevel Level, bool HasTeams)>(StringComparer.Ordinal);
        foreach (var batch in candidates.Take(MaxChecked).Chunk(Math.Max(2 * limit, 50)))
        {
            var unresolved = batch.Where(r => r.Visibility != "public" && !principal.IsAdmin && !principal.IsAnonymous)
                .Select(r => PermissionService.NamespaceOf(r.Name))
                .Where(ns => ns != principal.Name && snapshot.Organizations.Contains(ns) && !organizations.ContainsKey(ns))
                .Distinct(StringComparer.Ordinal)
                .ToList();
            foreach (var (ns, access) in await Task.WhenAll(unresolved.Select(async ns => (ns, await OrganizationAccessAsync(principal, ns, cancellationToken)))))
            {
                organizations[ns] = access;
            }

            var decided = await Task.WhenAll(batch.Select(async r => (Repository: r, Visible: await IsVisibleAsync(principal, r, organizations, cancellationToken))));
            visible.AddRange(decided.Where(d => d.Visible).Select(d => d.Repository));
            if (visible.Count >= limit)
            {
                break;
            }
        }

        return visible.Take(limit).ToList();
    }

    private async Task<(AccessLevel Level, bool HasTeams)> OrganizationAccessAsync(Principal principal, string org, CancellationToken cancellationToken)
    {
        var level = await permissions.GetNamespaceLevelAsync(principal, org, cancellationToken);
        return (level, level < AccessLevel.ReadOnly && (await accounts.ListTeamsOfUserAsync(principal.Name!, org, cancellationToken)).Count > 0);
    }

    private async Task<bool> IsVisibleAsync(
        Principal principal, RepositoryRecord repository, Dictionary<string, (AccessLevel Level, bool HasTeams)> organizations, CancellationToken cancellationToken)
    {
        if (repository.Visibility == "public" || principal.IsAdmin)
        {
            return true;
        }

        var ns = PermissionService.NamespaceOf(repository.Name);
        if (principal.IsAnonymous || ns != principal.Name && !organizations.ContainsKey(ns))
        {
            return false;   // another user's private repository, or one whose namespace is no account
        }

        if (ns == principal.Name)
        {
            return true;
        }

        var (level, hasTeams) = organizations[ns];
        return level >= AccessLevel.ReadOnly
            || hasTeams && RepositoryName.TryParse(repository.Name, out var name) && await permissions.GetLevelAsync(principal, name, cancellationToken) >= AccessLevel.ReadOnly;
    }

    private static List<RepositoryView> Views(List<RepositoryRecord> repositories, Snapshot snapshot) =>
        [.. repositories.Select(r => RepositoryName.TryParse(r.Name, out var name)
            ? RepositoryApiService.View(name, r, snapshot.Organizations.Contains(PermissionService.NamespaceOf(name)) ? "organization" : "user")
            : null).OfType<RepositoryView>()];

    /// <summary>The snapshot: read when there is none, else read again in the background once it is too old.</summary>
    private async Task<Snapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        if (_snapshot is { } current)
        {
            if (time.GetUtcNow() - current.ReadAt > SnapshotLifetime && _loading.Wait(0))
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        _snapshot = await ReadAsync(CancellationToken.None);
                    }
                    catch (Exception e)
                    {
                        LogNotRefreshed(logger, e.Message);   // the older snapshot serves until the next try
                    }
                    finally
                    {
                        _loading.Release();
                    }
                }, CancellationToken.None);
            }

            return current;
        }

        await _loading.WaitAsync(cancellationToken);
        try
        {
            return _snapshot ??= await ReadAsync(cancellationToken);
        }
        finally
        {
            _loading.Release();
        }
    }

    private async Task<Snapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var readAt = time.GetUtcNow();
        var repositories = new List<RepositoryRecord>();
        for (string? from = null; ;)
        {
            var batch = await metadata.ListRepositoryRecordsAsync(null, from, false, 1000, cancellationToken);
            repositories.AddRange(batch.Where(r => PermissionService.NamespaceOf(r.Name).Length > 0));
            if (batch.Count < 1000)
            {
                break;
            }

            from = batch[^1].Name;
        }

        var accountList = new List<Account>();
        for (string? after = null; ;)
        {
            var batch = await accounts.ListAccountsAsync(after, 1000, cancellationToken);
            accountList.AddRange(batch);
            if (batch.Count < 1000)
            {
                break;
            }

            after = batch[^1].Name;
        }

        return new Snapshot(readAt, repositories, accountList, accountList.Where(a => a.IsOrg).Select(a => a.Name).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Every repository (in name order) and account, and which accounts are organizations, as read at <paramref name="ReadAt"/>.</summary>
    private sealed record Snapshot(DateTimeOffset ReadAt, IReadOnlyList<RepositoryRecord> Repositories, IReadOnlyList<Account> Accounts, HashSet<string> Organizations);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The search snapshot could not be read again: {Reason}")]
    private static partial void LogNotRefreshed(ILogger logger, string reason);
}
