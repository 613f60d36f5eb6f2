using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Records;
using Registry.Stores;

namespace Registry.Services;

/// <summary>The registry's settings as they are now: a push creates its repository; the registry takes writes.</summary>
public sealed record RegistrySettings(bool CreateRepositoryOnPush, bool ReadOnlyRegistry);

/// <summary>
/// The registry's run-time settings (DTR's <c>/meta/settings</c>). Requests read them through a per-instance cache
/// of <c>Registry:MetadataCacheLifetime</c>, so a change reaches every instance within that time; a save is seen at
/// once on the instance that made it.
/// </summary>
public sealed class RegistrySettingsService(ISettingsStore store, IMemoryCache cache, IOptions<RegistryOptions> options)
{
    private const string CacheKey = "registry-settings";

    public async Task<RegistrySettings> GetAsync(CancellationToken cancellationToken = default) =>
        (await cache.GetOrCreateAsync(CacheKey, async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = options.Value.MetadataCacheLifetime;
            return Effective(await store.GetRegistrySettingsOrNullAsync(cancellationToken));
        }))!;

    /// <summary>Saves the settings given (null leaves one as it is), read again and saved again when another save came between.</summary>
    public async Task<RegistrySettings> SaveAsync(bool? createRepositoryOnPush, bool? readOnlyRegistry, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var stored = await store.GetRegistrySettingsOrNullAsync(cancellationToken) ?? new SavedRegistrySettings();
            stored.CreateRepositoryOnPush = createRepositoryOnPush ?? stored.CreateRepositoryOnPush;
            stored.ReadOnlyRegistry = readOnlyRegistry ?? stored.ReadOnlyRegistry;
            if (await store.TrySaveRegistrySettingsAsync(stored, cancellationToken))
            {
                cache.Remove(CacheKey);
                return Effective(stored);
            }
        }
    }

    private static RegistrySettings Effective(SavedRegistrySettings? stored) =>
        new(stored?.CreateRepositoryOnPush ?? true, stored?.ReadOnlyRegistry ?? false);
}
