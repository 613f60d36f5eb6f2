using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Services;
using Registry.Stores;

namespace Registry.Caching;

/// <summary>What one maintenance run of a cache did.</summary>
public sealed record CacheMaintenanceResult(long StoredBytes, int EvictedManifests, int WarmedTags, int FailedTags);

/// <summary>
/// A cache's maintenance timer. Eviction: when the content stored exceeds Registry:Cache:MaxBytes, the least recently
/// pulled manifests (a pull rewrites a manifest's row at most once per GC touch interval, so its write time is its
/// last pull) are deleted, oldest first, until what they name adds up to the excess and a tenth of the limit more; the
/// next GC frees the content no manifest names any longer. Warming: every tag upstream that a Registry:Cache:Warm
/// pattern matches is fetched, with every blob its manifests (and an index's children) name, as a pull would.
/// </summary>
public sealed partial class CacheMaintenance(
    PullThroughCache cache, UpstreamRegistry upstream, IMetadataStore metadata, IContentStore content, ManifestService manifests,
    IOptions<CacheOptions> options, ILogger<CacheMaintenance> logger)
{
    /// <summary>Most tags one pattern warms in a run.</summary>
    public const int MaxTagsPerPattern = 200;

    private readonly CacheOptions _options = options.Value;

    /// <summary>Reads a warming entry: the repository, and the pattern (anchored, with a match timeout).</summary>
    public static bool TryParseWarm(string entry, out RepositoryName repository, out Regex pattern)
    {
        pattern = null!;
        var colon = entry.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !RepositoryName.TryParse(entry[..colon], out repository))
        {
            repository = default;
            return false;
        }

        try
        {
            pattern = new Regex($"^(?:{entry[(colon + 1)..]})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>True when this registry is a cache (the timer does nothing otherwise).</summary>
    public bool IsCache => cache.Enabled;

    public async Task<CacheMaintenanceResult> RunAsync(CancellationToken cancellationToken = default)
    {
        if (!cache.Enabled)
        {
            return new CacheMaintenanceResult(0, 0, 0, 0);
        }

        var (stored, evicted) = await EvictAsync(cancellationToken);
        var (warmed, failed) = await WarmAsync(cancellationToken);
        LogRun(logger, stored, evicted, warmed, failed);
        return new CacheMaintenanceResult(stored, evicted, warmed, failed);
    }

    private async Task<(long Stored, int Evicted)> EvictAsync(CancellationToken cancellationToken)
    {
        long stored = 0;
        await foreach (var blob in content.ListContentAsync(cancellationToken))
        {
            stored += blob.Size;
        }

        if (_options.MaxBytes == 0 || stored <= _options.MaxBytes)
        {
            return (stored, 0);
        }

        var candidates = new List<(RepositoryName Name, Records.ManifestRecord Row)>();
        foreach (var repository in await metadata.ListRepositoriesWithContentAsync(cancellationToken))
        {
            if (RepositoryName.TryParse(repository, out var name))
            {
                candidates.AddRange((await metadata.ListManifestRecordsAsync(name, cancellationToken)).Select(row => (name, row)));
            }
        }

        var excess = stored - _options.MaxBytes + _options.MaxBytes / 10;
        long freed = 0;
        var evicted = 0;
        foreach (var (name, row) in candidates.OrderBy(c => c.Row.WrittenAt ?? c.Row.PushedAt))
        {
            if (freed >= excess || !Digest.TryParse(row.Digest, out var digest))
            {
                break;
            }

            var bytes = row.Content ?? await content.ReadAllOrNullAsync(digest, cancellationToken);
            var named = bytes is null ? 0 : ManifestParser.Parse(bytes, row.MediaType).Blobs.Sum(b => b.Size);
            try
            {
                await manifests.DeleteAsync(name, new ManifestReference(null, digest), "cache-eviction", cancellationToken);
                freed += row.Size + named;
                evicted++;
            }
            catch (Errors.RegistryException)
            {
                // gone meanwhile, or held: the next one
            }
        }

        return (stored, evicted);
    }

    private async Task<(int Warmed, int Failed)> WarmAsync(CancellationToken cancellationToken)
    {
        int warmed = 0, failed = 0;
        foreach (var entry in _options.Warm)
        {
            if (!TryParseWarm(entry, out var name, out var pattern))
            {
                continue;
            }

            try
            {
                var tags = await upstream.ListTagsAsync(name, cancellationToken) ?? [];
                foreach (var value in tags.Where(t => pattern.IsMatch(t)).Take(MaxTagsPerPattern))
                {
                    if (!Tag.TryParse(value, out var tag))
                    {
                        continue;
                    }

                    try
                    {
                        var pulled = await cache.GetManifestAsync(name, new ManifestReference(tag, null), cancellationToken);
                        await FetchContentAsync(name, pulled.Manifest, 0, cancellationToken);
                        warmed++;
                    }
                    catch (Exception e) when (e is UpstreamUnavailableException or Errors.RegistryException)
                    {
                        LogWarmFailed(logger, name.Value, value, e.Message);
                        failed++;
                    }
                }
            }
            catch (UpstreamUnavailableException e)
            {
                LogWarmFailed(logger, name.Value, "*", e.Message);
                failed++;
            }
        }

        return (warmed, failed);
    }

    /// <summary>Every blob a manifest names (and, for an index, its children and theirs) fetched into the cache.</summary>
    private async Task FetchContentAsync(RepositoryName name, ManifestService.StoredManifest manifest, int depth, CancellationToken cancellationToken)
    {
        var parsed = ManifestParser.Parse(manifest.Content, manifest.MediaType);
        foreach (var child in parsed.Manifests)
        {
            if (depth < 2 && Digest.TryParse(child.Digest, out var digest))
            {
                var pulled = await cache.GetManifestAsync(name, new ManifestReference(null, digest), cancellationToken);
                await FetchContentAsync(name, pulled.Manifest, depth + 1, cancellationToken);
            }
        }

        foreach (var blob in parsed.Blobs.Where(b => b.Urls is not { Count: > 0 }))
        {
            if (Digest.TryParse(blob.Digest, out var digest) && await cache.EnsureBlobAsync(name, digest, cancellationToken) is { } fill)
            {
                await fill.Stream.DisposeAsync();   // nobody reads along: the fetch stores it alone
                await fill.Completion.WaitAsync(cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache maintenance: {Stored} bytes stored, {Evicted} manifests evicted, {Warmed} tags warmed, {Failed} failed")]
    private static partial void LogRun(ILogger logger, long stored, int evicted, int warmed, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming {Repository}:{Tag} failed: {Reason}")]
    private static partial void LogWarmFailed(ILogger logger, string repository, string tag, string reason);
}
