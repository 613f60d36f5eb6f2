using System.Text.RegularExpressions;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Registry.Auth;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Stores;

namespace Registry.Caching;

/// <summary>
/// An origin's content caches (DTR's <c>/content_caches</c>): system administrators register them by name and host,
/// users choose one in their settings, and a blob pull by such a user is answered with a redirect to the cache, signed
/// by the origin's token key for that cache, repository and digest only (<see cref="TokenService.IssueRedirectTokenAsync"/>).
/// The cache checks the signature against the keys the origin publishes, so nobody else can send clients to it with a
/// pull the origin did not authorize.
/// </summary>
public sealed partial class ContentCacheService(
    ICacheStore store, IAccountStore accounts, TokenService tokens, IMemoryCache memory, IOptions<CacheOptions> options, TimeProvider time)
{
    private static readonly TimeSpan Remembered = TimeSpan.FromSeconds(30);

    public Task<IReadOnlyList<ContentCacheRecord>> ListAsync(CancellationToken cancellationToken = default) => store.ListContentCachesAsync(cancellationToken);

    public Task<ContentCacheRecord?> GetAsync(string id, CancellationToken cancellationToken = default) => store.GetContentCacheOrNullAsync(id, cancellationToken);

    /// <summary>Registers a cache; null when one of that name exists. Throws <see cref="ArgumentException"/> for a bad name or host.</summary>
    public async Task<ContentCacheRecord?> RegisterAsync(string name, string host, CancellationToken cancellationToken = default)
    {
        if (!NameGrammar().IsMatch(name))
        {
            throw new ArgumentException("name: 1 to 64 lowercase letters, digits, '-' and '.', starting with a letter or digit");
        }

        if (!Uri.TryCreate(host, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.AbsolutePath != "/"
            || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new ArgumentException("host: scheme://host[:port], http or https, nothing after it");
        }

        var cache = new ContentCacheRecord
        {
            Id = Guid.NewGuid().ToString(), Name = name, Host = uri.GetLeftPart(UriPartial.Authority), CreatedAt = time.GetUtcNow(),
        };
        return await store.AddContentCacheAsync(cache, cancellationToken) ? cache : null;
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) => store.DeleteContentCacheAsync(id, cancellationToken);

    /// <summary>
    /// Where the pull of a blob by the token's user goes: a signed URL at the user's content cache, or null (no cache
    /// chosen, the cache since deleted, an anonymous pull, or an account of that name that is not the token's).
    /// </summary>
    public async Task<Uri?> RedirectUriAsync(ValidatedToken token, RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token.AccountId))
        {
            return null;
        }

        var cache = await memory.GetOrCreateAsync(("content-cache-of", token.AccountId), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = Remembered;
            var account = await accounts.GetAccountOrNullAsync(token.Subject, cancellationToken);
            return account is { IsActive: true } && account.Id == token.AccountId && account.ContentCacheId.Length > 0
                ? await store.GetContentCacheOrNullAsync(account.ContentCacheId, cancellationToken)
                : null;
        });
        if (cache is null)
        {
            return null;
        }

        var signed = await tokens.IssueRedirectTokenAsync(token.Subject, token.AccountId, name, digest, cache.Name, options.Value.RedirectLifetime, cancellationToken);
        return new Uri($"{cache.Host}/v2/{name}/blobs/{digest}?{RedirectTokenParameter}={Uri.EscapeDataString(signed.Token)}");
    }

    /// <summary>The query parameter of a signed redirect.</summary>
    public const string RedirectTokenParameter = "redirect_token";

    /// <summary>Forgets a user's choice kept in this instance (after a change of it).</summary>
    public void Forget(string accountId) => memory.Remove(("content-cache-of", accountId));

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,63}$")]
    private static partial Regex NameGrammar();
}
