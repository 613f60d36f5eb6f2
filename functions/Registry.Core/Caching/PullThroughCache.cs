using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Errors;
using Registry.Oci;
using Registry.Options;
using Registry.Services;
using Registry.Stores;

namespace Registry.Caching;

/// <summary>A manifest served by the cache, and the <c>Warning</c> it carries when the upstream could not confirm it.</summary>
public sealed record CachedManifest(ManifestService.StoredManifest Manifest, string? Warning);

/// <summary>
/// Pull-through caching (Registry:Cache). What the cache holds is stored as a push would store it (content by digest,
/// manifest rows, blob links, tags), so pulls of cached content are the registry's own; only misses and tag
/// revalidation reach the upstream.
/// <list type="bullet">
/// <item>A manifest by digest, once fetched, is served for good. A tag is served as cached for TagRevalidateAfter, then
/// checked with a HEAD (no pull counted upstream): unchanged, it is served again; moved, the new manifest is fetched;
/// gone, it is removed. When the upstream cannot answer (down, a timeout, 5xx, 429), the cached manifest is served
/// with <c>Warning: 111</c>; with nothing cached, the pull answers 503 with Retry-After.</item>
/// <item>A blob is fetched once for all instances: the first request claims the fetch (a create-only row) and is
/// served the bytes as they arrive while they are stored; the others wait for the stored blob. A blob stored for
/// another repository is linked only after the upstream confirms this repository has it.</item>
/// </list>
/// </summary>
public sealed partial class PullThroughCache(
    UpstreamRegistry upstream, IMetadataStore metadata, IContentStore content, ICacheStore store,
    IOptions<CacheOptions> options, IOptions<GcOptions> gc, TimeProvider time, ILogger<PullThroughCache> logger) : IDisposable
{
    private readonly TimeSpan _touchInterval = gc.Value.TouchInterval;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly CacheOptions _options = options.Value;
    private readonly string _owner = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<Digest, BlobFill> _fills = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<CachedManifest>>> _manifestFetches = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public bool Enabled => _options.Enabled;

    /// <summary>
    /// The manifest a tag or digest names, from the cache or fetched (see the class summary). Requests of this instance
    /// that need the upstream for the same reference at once share one upstream request.
    /// </summary>
    public async Task<CachedManifest> GetManifestAsync(RepositoryName name, ManifestReference reference, CancellationToken cancellationToken = default)
    {
        if (reference.Digest is { } digest)
        {
            if (await ReadLocalAsync(name, digest, cancellationToken) is { } local)
            {
                return new CachedManifest(local, null);
            }
        }
        else
        {
            var row = await metadata.GetTagRecordOrNullAsync(name, reference.Tag!.Value, cancellationToken);
            if (row is not null && time.GetUtcNow() - (row.WrittenAt ?? row.UpdatedAt) < _options.TagRevalidateAfter
                && Digest.TryParse(row.Digest, out var tagged) && await ReadLocalAsync(name, tagged, cancellationToken) is { } fresh)
            {
                return new CachedManifest(fresh, null);
            }
        }

        var key = $"{name}@{reference}";
        var shared = _manifestFetches.GetOrAdd(key, _ => new Lazy<Task<CachedManifest>>(() => FetchSharedAsync(key, name, reference)));
        return await shared.Value.WaitAsync(cancellationToken);
    }

    private async Task<CachedManifest> FetchSharedAsync(string key, RepositoryName name, ManifestReference reference)
    {
        try
        {
            return await FetchManifestAsync(name, reference);
        }
        finally
        {
            _manifestFetches.TryRemove(key, out _);
        }
    }

    /// <summary>What the upstream says of a reference the cache cannot answer alone (not bound to one request's cancellation).</summary>
    private async Task<CachedManifest> FetchManifestAsync(RepositoryName name, ManifestReference reference)
    {
        await Task.Yield();
        var cancellationToken = _stopping.Token;
        if (reference.Digest is { } digest)
        {
            return new CachedManifest(await ReadLocalAsync(name, digest, cancellationToken)
                ?? await StoreAsync(name, null, await upstream.GetManifestAsync(name, reference, cancellationToken) ?? throw Unknown(reference), cancellationToken), null);
        }

        var tag = reference.Tag!.Value;
        var row = await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken);
        var cached = row is not null && Digest.TryParse(row.Digest, out var tagged) ? await ReadLocalAsync(name, tagged, cancellationToken) : null;
        try
        {
            var (found, current) = await upstream.HeadManifestAsync(name, reference, cancellationToken);
            if (!found)
            {
                if (row is not null)
                {
                    await metadata.DeleteTagAsync(name, tag, cancellationToken);
                }

                throw Unknown(reference);
            }

            if (cached is not null && current == cached.Digest)
            {
                await metadata.UpdateTagAsync(name, row!, cached.Digest, null, null, cancellationToken);   // its write time is this check's
                return new CachedManifest(cached, null);
            }

            var fetched = await upstream.GetManifestAsync(name, current is { } d ? new ManifestReference(null, d) : reference, cancellationToken)
                ?? throw Unknown(reference);
            return new CachedManifest(await StoreAsync(name, (tag, row), fetched, cancellationToken), null);
        }
        catch (UpstreamUnavailableException e) when (cached is not null)
        {
            LogServedStale(logger, name.Value, tag.Value, e.Message);
            return new CachedManifest(cached, $"111 - \"Revalidation Failed: {e.Message.Replace('"', '\'')}\"");
        }
    }

    /// <summary>
    /// The repository's tags as the upstream lists them; null (with the <c>Warning</c> to give) when the upstream cannot
    /// answer, and the caller lists the tags cached.
    /// </summary>
    public async Task<(IReadOnlyList<string>? Tags, string? Warning)> ListTagsAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await upstream.ListTagsAsync(name, cancellationToken)
                ?? throw RegistryException.Of(OciErrorCode.NameUnknown, "repository name not known to the upstream registry", "name", name.Value), null);
        }
        catch (UpstreamUnavailableException e)
        {
            return (null, $"111 - \"Revalidation Failed: the tags cached are listed; {e.Message.Replace('"', '\'')}\"");
        }
    }

    /// <summary>The size of a blob the repository has, in the cache or (without fetching it) upstream.</summary>
    public async Task<long> HeadBlobAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default) =>
        await metadata.GetBlobLinkOrNullAsync(name, digest, cancellationToken)
            ?? await upstream.HeadBlobAsync(name, digest, cancellationToken)
            ?? throw BlobUnknown(digest);

    /// <summary>
    /// Makes the repository's blob servable from the cache. Null when it is (stored and linked, now or by a fetch that
    /// finished while this waited); otherwise this request fetches it, and the answer is the bytes as they arrive.
    /// </summary>
    public async Task<BlobFill?> EnsureBlobAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        var deadline = time.GetUtcNow() + _options.FetchWait;
        while (true)
        {
            if (await metadata.GetBlobLinkOrNullAsync(name, digest, cancellationToken) is not null)
            {
                return null;
            }

            if (await content.ExistsAsync(digest, cancellationToken))
            {
                // stored for another repository: this one must have it upstream too
                var size = await upstream.HeadBlobAsync(name, digest, cancellationToken) ?? throw BlobUnknown(digest);
                if (await content.TouchAsync(digest, cancellationToken))
                {
                    await metadata.LinkBlobAsync(name, digest, size, cancellationToken);
                    await metadata.EnsureRepositoryAsync(name, cancellationToken);
                    return null;
                }
            }

            if (_fills.TryGetValue(digest, out var running))
            {
                await WaitAsync(running.Completion, deadline, cancellationToken);
                continue;
            }

            if (await store.TryClaimFetchAsync(digest, _owner, _options.FetchClaimLifetime, cancellationToken))
            {
                // a fetch that ended between the checks above and the claim stored it already
                if (!await content.ExistsAsync(digest, cancellationToken))
                {
                    return await StartFillAsync(name, digest, cancellationToken);
                }

                await store.ReleaseFetchAsync(digest, _owner, cancellationToken);
                continue;
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new UpstreamUnavailableException($"{digest} is being fetched from the upstream by another request", TimeSpan.FromSeconds(10));
            }

            await Task.Delay(PollInterval, time, cancellationToken);
        }
    }

    private async Task WaitAsync(Task fill, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var left = deadline - time.GetUtcNow();
        try
        {
            await fill.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new UpstreamUnavailableException("the blob is being fetched from the upstream by another request", TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // that fetch failed: the loop claims it anew
        }
    }

    private async Task<BlobFill> StartFillAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken)
    {
        UpstreamBlob? blob;
        try
        {
            blob = await upstream.OpenBlobAsync(name, digest, cancellationToken);
        }
        catch
        {
            await store.ReleaseFetchAsync(digest, _owner, CancellationToken.None);
            throw;
        }

        if (blob is null)
        {
            await store.ReleaseFetchAsync(digest, _owner, CancellationToken.None);
            throw BlobUnknown(digest);
        }

        var fill = new BlobFill(blob.Length);
        _fills[digest] = fill;
        _ = Task.Run(() => RunFillAsync(name, digest, blob, fill), CancellationToken.None);
        return fill;
    }

    /// <summary>Stores the upstream's bytes under the digest (checked as they are stored), feeding them to the first client; then links them.</summary>
    private async Task RunFillAsync(RepositoryName name, Digest digest, UpstreamBlob blob, BlobFill fill)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_options.FetchClaimLifetime);
            var size = await content.StoreAsync(digest, new TeeStream(blob.Content, fill), timeout.Token)
                ?? throw new UpstreamUnavailableException($"the upstream's bytes of {digest} do not match the digest", null);
            await metadata.LinkBlobAsync(name, digest, size, timeout.Token);
            await metadata.EnsureRepositoryAsync(name, timeout.Token);
            LogFetched(logger, digest.ToString(), name.Value, size);
            fill.Complete(null);
        }
        catch (Exception e)
        {
            LogFetchFailed(logger, digest.ToString(), name.Value, e.Message);
            fill.Complete(e);
        }
        finally
        {
            blob.Dispose();
            _fills.TryRemove(new KeyValuePair<Digest, BlobFill>(digest, fill));
            try
            {
                await store.ReleaseFetchAsync(digest, _owner, CancellationToken.None);
            }
            catch (Exception e) when (StorageOutage.Is(e))
            {
                // the claim ages out
            }
        }
    }

    /// <summary>A cached manifest; its row is rewritten (at most once per GC touch interval), so that its write time tells eviction when it was last pulled.</summary>
    private async Task<ManifestService.StoredManifest?> ReadLocalAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken)
    {
        var row = await metadata.GetManifestOrNullAsync(name, digest, cancellationToken);
        if (row is null || !await metadata.TouchManifestAsync(name, row, _touchInterval, cancellationToken))
        {
            return null;
        }

        return new ManifestService.StoredManifest(digest, row.MediaType, row.Content ?? await content.ReadAllAsync(digest, cancellationToken));
    }

    /// <summary>Stores a fetched manifest as a push would (content, row, link, referrer, then the tag).</summary>
    private async Task<ManifestService.StoredManifest> StoreAsync(
        RepositoryName name, (Tag Tag, Records.TagRecord? Row)? tag, UpstreamManifest fetched, CancellationToken cancellationToken)
    {
        var parsed = ManifestParser.Parse(fetched.Content, fetched.MediaType) with { Digest = fetched.Digest };
        await content.PutAsync(fetched.Digest, fetched.Content, cancellationToken);
        await metadata.PutManifestAsync(name, parsed, fetched.Content, cancellationToken);
        await metadata.LinkBlobAsync(name, fetched.Digest, fetched.Content.Length, cancellationToken);
        if (parsed.Subject is { } subject && Digest.TryParse(subject.Digest, out var subjectDigest))
        {
            await metadata.AddReferrerAsync(name, subjectDigest, parsed, cancellationToken);
        }

        await metadata.EnsureRepositoryAsync(name, cancellationToken);
        if (tag is var (t, row))
        {
            // a concurrent revalidation may write first: both wrote what the upstream said
            _ = row is null
                ? await metadata.TryAddTagAsync(name, t, fetched.Digest, null, null, cancellationToken)
                : await metadata.UpdateTagAsync(name, row, fetched.Digest, null, null, cancellationToken);
        }

        return new ManifestService.StoredManifest(fetched.Digest, parsed.MediaType, fetched.Content);
    }

    private static RegistryException Unknown(ManifestReference reference) =>
        RegistryException.Of(OciErrorCode.ManifestUnknown, "manifest unknown to the upstream registry", reference.IsDigest ? "digest" : "tag", reference.ToString());

    private static RegistryException BlobUnknown(Digest digest) =>
        RegistryException.Of(OciErrorCode.BlobUnknown, "blob unknown to the upstream registry", "digest", digest.ToString());

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Served the cached {Repository}:{Tag} unconfirmed: {Reason}")]
    private static partial void LogServedStale(ILogger logger, string repository, string tag, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched {Digest} of {Repository} from the upstream ({Size} bytes)")]
    private static partial void LogFetched(ILogger logger, string digest, string repository, long size);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fetching {Digest} of {Repository} from the upstream failed: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, string digest, string repository, string reason);
}
