using Registry.Auth;
using Registry.Caching;
using Registry.Records;
using Registry.Stores;

namespace Registry.Dtr;

/// <summary>
/// DTR's content caches over /api/v0: system administrators register and remove them, users list them and choose one in
/// their settings (a system administrator may set anyone's).
/// </summary>
public sealed class ContentCacheApiService(ContentCacheService caches, IAccountStore accounts)
{
    public async Task<IReadOnlyList<ContentCacheView>> ListAsync(CancellationToken cancellationToken = default) =>
        (await caches.ListAsync(cancellationToken)).Select(View).ToList();

    public async Task<ContentCacheView> GetAsync(string id, CancellationToken cancellationToken = default) =>
        View(await caches.GetAsync(id, cancellationToken) ?? throw NoSuchCache(id));

    public async Task<ContentCacheView> CreateAsync(ContentCacheCreate body, CancellationToken cancellationToken = default)
    {
        try
        {
            return View(await caches.RegisterAsync(body.Name ?? "", body.Host ?? "", cancellationToken)
                ?? throw new DtrException(DtrError.Conflict, $"a content cache named {body.Name} exists"));
        }
        catch (ArgumentException e)
        {
            throw new DtrException(DtrError.InvalidParameter, e.Message);
        }
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!await caches.DeleteAsync(id, cancellationToken))
        {
            throw NoSuchCache(id);
        }
    }

    public async Task<UserSettingsView> GetSettingsAsync(Principal principal, string user, CancellationToken cancellationToken = default) =>
        new((await GetUserAsync(principal, user, cancellationToken)).ContentCacheId);

    /// <summary>Sets the user's content cache (an empty id: none, the origin serves).</summary>
    public async Task<UserSettingsView> UpdateSettingsAsync(Principal principal, string user, UserSettingsPatch body, CancellationToken cancellationToken = default)
    {
        var account = await GetUserAsync(principal, user, cancellationToken);
        if (body.ContentCacheUuid is { } id)
        {
            if (id.Length > 0 && await caches.GetAsync(id, cancellationToken) is null)
            {
                throw NoSuchCache(id);
            }

            account.ContentCacheId = id;
            if (!await accounts.UpdateAccountAsync(account, cancellationToken))
            {
                throw new DtrException(DtrError.Conflict, "the account changed meanwhile; try again");
            }

            caches.Forget(account.Id);
        }

        return new UserSettingsView(account.ContentCacheId);
    }

    private async Task<Account> GetUserAsync(Principal principal, string user, CancellationToken cancellationToken)
    {
        if (!principal.IsAdmin && principal.Name != user)
        {
            throw new DtrException(DtrError.NotAuthorized, "only the user or a system administrator may see or change these settings");
        }

        var account = await accounts.GetAccountOrNullAsync(user, cancellationToken);
        return account is { IsOrg: false } ? account : throw new DtrException(DtrError.NoSuchAccount, $"no user {user}");
    }

    private static ContentCacheView View(ContentCacheRecord c) => new(c.Id, c.Name, c.Host);

    private static DtrException NoSuchCache(string id) => new(DtrError.NoSuchContentCache, $"no content cache {id}");
}
