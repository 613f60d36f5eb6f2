using System.Text.Json;
using Registry.Errors;
using Registry.Oci;
using Registry.Stores;

namespace Registry.Services;

/// <summary>Content discovery: tag lists, the catalog and the referrers API, with spec paging.</summary>
public sealed class DiscoveryService(IMetadataStore metadata)
{
    /// <summary>One page: the items and whether more follow.</summary>
    public sealed record Page(IReadOnlyList<string> Items, bool HasMore);

    /// <summary>Tags of a repository after <paramref name="last"/>; NAME_UNKNOWN for an unknown repository.</summary>
    public async Task<Page> ListTagsAsync(RepositoryName name, int? n, string? last, CancellationToken cancellationToken = default)
    {
        if (!await metadata.RepositoryExistsAsync(name, cancellationToken))
        {
            throw RegistryException.Of(OciErrorCode.NameUnknown, "repository name not known to registry", "name", name.Value);
        }

        return await PageAsync((after, count) => metadata.ListTagsAsync(name, after, count, cancellationToken), n, last);
    }

    /// <summary>A page of tags listed elsewhere (a cache's upstream), in the order tag lists take.</summary>
    public static Task<Page> PageOfAsync(IReadOnlyList<string> tags, int? n, string? last)
    {
        var sorted = tags.Order(StringComparer.Ordinal).ToList();
        return PageAsync((after, count) => Task.FromResult<IReadOnlyList<string>>(
            sorted.Where(t => after is null || string.CompareOrdinal(t, after) > 0).Take(count).ToList()), n, last);
    }

    /// <summary>Repository names after <paramref name="last"/>.</summary>
    public Task<Page> ListRepositoriesAsync(int? n, string? last, CancellationToken cancellationToken = default) =>
        PageAsync((after, count) => metadata.ListRepositoriesAsync(after, count, cancellationToken), n, last);

    /// <summary>
    /// The manifests whose subject is <paramref name="subject"/>, optionally only those of one artifact type,
    /// as descriptors of an image index. Never unknown: an empty list when nothing refers to it.
    /// </summary>
    public async Task<IReadOnlyList<Descriptor>> ListReferrersAsync(
        RepositoryName name, Digest subject, string? artifactType, CancellationToken cancellationToken = default)
    {
        var rows = await metadata.ListReferrersAsync(name, subject, cancellationToken);
        return rows
            .Where(r => artifactType is null || r.ArtifactType == artifactType)
            .Select(r => new Descriptor
            {
                MediaType = r.MediaType,
                Digest = r.Digest,
                Size = r.Size,
                ArtifactType = r.ArtifactType,
                Annotations = r.Annotations is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(r.Annotations),
            })
            .ToList();
    }

    /// <summary>
    /// Without n, every item (read in pages of the table's size); with n, at most min(n, MaxPageSize) and whether
    /// more exist (one extra row is read to know).
    /// </summary>
    private static async Task<Page> PageAsync(Func<string?, int, Task<IReadOnlyList<string>>> list, int? n, string? last)
    {
        if (n is { } size)
        {
            var count = Math.Min(size, OciLimits.MaxPageSize);
            var items = await list(last, count + 1);
            return items.Count > count ? new Page(items.Take(count).ToList(), true) : new Page(items, false);
        }

        var all = new List<string>();
        var after = last;
        while (true)
        {
            var items = await list(after, OciLimits.MaxPageSize);
            all.AddRange(items);
            if (items.Count < OciLimits.MaxPageSize)
            {
                return new Page(all, false);
            }

            after = items[^1];
        }
    }
}
