using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Storage.Entities;

namespace Registry.Storage;

/// <summary>
/// Table Storage access for repositories, tags, manifests, blob links, referrers and upload sessions (and, for GC, the
/// rows of the Scans table).
/// Positive lookups of tags, manifests and blob links are cached for MetadataCacheLifetime; every write on this
/// instance evicts what it changes, so this instance sees its own writes at once and others within that lifetime.
/// </summary>
public sealed class MetadataStore(StorageClients clients, PolicyStore policies, IMemoryCache cache, IOptions<RegistryOptions> options, TimeProvider time)
{
    private readonly TableClient _repositories = clients.Table(StorageLayout.RepositoriesTable);
    private readonly TableClient _tags = clients.Table(StorageLayout.TagsTable);
    private readonly TableClient _manifests = clients.Table(StorageLayout.ManifestsTable);
    private readonly TableClient _links = clients.Table(StorageLayout.BlobLinksTable);
    private readonly TableClient _referrers = clients.Table(StorageLayout.ReferrersTable);
    private readonly TableClient _uploads = clients.Table(StorageLayout.UploadsTable);
    private readonly TableClient _scans = clients.Table(StorageLayout.ScansTable);
    private readonly TimeSpan _cacheLifetime = options.Value.MetadataCacheLifetime;

    // ---- repositories -------------------------------------------------------------------------------

    /// <summary>Records a repository pushed to for the first time (idempotent; private, as DTR creates on push).</summary>
    public async Task EnsureRepositoryAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        var cacheKey = ("repo", name.Value);
        if (cache.TryGetValue(cacheKey, out _))
        {
            return;
        }

        await AddRepositoryAsync(name, new RepositoryEntity(), cancellationToken);
        cache.Set(cacheKey, true, _cacheLifetime);
    }

    /// <summary>Adds a repository with <paramref name="settings"/>; false when it exists already.</summary>
    public async Task<bool> AddRepositoryAsync(RepositoryName name, RepositoryEntity settings, CancellationToken cancellationToken = default)
    {
        settings.PartitionKey = StorageLayout.RepositoriesPartition;
        settings.RowKey = StorageLayout.Key(name);
        settings.Id = Guid.NewGuid().ToString();
        settings.CreatedAt = time.GetUtcNow();
        try
        {
            await _repositories.AddEntityAsync(settings, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
    }

    public async Task<RepositoryEntity?> GetRepositoryOrNullAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        await _repositories.GetOrNullAsync<RepositoryEntity>(StorageLayout.RepositoriesPartition, StorageLayout.Key(name), cancellationToken);

    public async Task<bool> RepositoryExistsAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        await GetRepositoryOrNullAsync(name, cancellationToken) is not null;

    /// <summary>Replaces a repository's settings on condition of its ETag; false when it changed meanwhile.</summary>
    public async Task<bool> UpdateRepositoryAsync(RepositoryEntity repository, CancellationToken cancellationToken = default)
    {
        try
        {
            await _repositories.UpdateEntityAsync(repository, repository.ETag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return false;
        }
    }

    /// <summary>
    /// Deletes a repository: its tags first (so no tag points at a missing manifest), then referrer rows, manifests,
    /// blob links, its pruning and promotion policies and the repository row. Content blobs stay for GC.
    /// </summary>
    public async Task DeleteRepositoryAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        var key = StorageLayout.Key(name);
        var referrers = TableClient.CreateQueryFilter($"PartitionKey gt {key + "@"} and PartitionKey lt {key + "@~"}");
        foreach (var (table, filter) in new[]
        {
            (_tags, TableClient.CreateQueryFilter($"PartitionKey eq {key}")),
            (_referrers, referrers),
            (_manifests, TableClient.CreateQueryFilter($"PartitionKey eq {key}")),
            (_links, TableClient.CreateQueryFilter($"PartitionKey eq {key}")),
        })
        {
            await table.DeleteWhereAsync(filter, cancellationToken);
        }

        // its policies too: a repository made again under this name starts without them
        await policies.DeleteAllAsync(name, cancellationToken);
        await _repositories.DeleteEntityAsync(StorageLayout.RepositoriesPartition, key, ETag.All, cancellationToken);
        cache.Remove(("repo", name.Value));
    }

    /// <summary>
    /// Repositories in key order from <paramref name="from"/> (a name; itself included when <paramref name="includeFrom"/>),
    /// optionally only those whose name starts with <paramref name="prefix"/>.
    /// </summary>
    public async Task<IReadOnlyList<RepositoryEntity>> ListRepositoryEntitiesAsync(
        string? prefix, string? from, bool includeFrom, int count, CancellationToken cancellationToken = default)
    {
        var partition = StorageLayout.RepositoriesPartition;
        if (prefix is not null && (from is null || string.CompareOrdinal(from, prefix) < 0))
        {
            (from, includeFrom) = (prefix, true);
        }

        var low = StorageLayout.Key(from ?? "");
        var filter = includeFrom
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {low}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {low}");
        if (prefix is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey lt {StorageLayout.Key(prefix) + "~"}");
        }

        return await _repositories.QueryAsync<RepositoryEntity>(filter, Math.Clamp(count, 1, 1000), cancellationToken: cancellationToken)
            .TakeAsync(count, cancellationToken);
    }

    /// <summary>Repository names after <paramref name="last"/> in key order, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<string>> ListRepositoriesAsync(string? last, int count, CancellationToken cancellationToken = default)
    {
        var filter = last is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.RepositoriesPartition}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.RepositoriesPartition} and RowKey gt {StorageLayout.Key(last)}");
        return await TakeRowKeysAsync(_repositories.QueryAsync<RepositoryEntity>(filter, Math.Clamp(count, 1, 1000), ["RowKey"], cancellationToken), count, StorageLayout.NameOf, cancellationToken);
    }

    // ---- tags ---------------------------------------------------------------------------------------

    public async Task<Digest?> GetTagOrNullAsync(RepositoryName name, Tag tag, CancellationToken cancellationToken = default)
    {
        var cacheKey = ("tag", name.Value, tag.Value);
        if (cache.TryGetValue(cacheKey, out Digest cached))
        {
            return cached;
        }

        var result = await _tags.GetEntityIfExistsAsync<TagEntity>(StorageLayout.Key(name), tag.Value, ["Digest"], cancellationToken);
        if (!result.HasValue || !Digest.TryParse(result.Value!.Digest, out var digest))
        {
            return null;
        }

        cache.Set(cacheKey, digest, _cacheLifetime);
        return digest;
    }

    /// <summary>Creates a tag; false when it exists already (the caller then reads and updates it).</summary>
    public async Task<bool> TryAddTagAsync(RepositoryName name, Tag tag, Digest digest, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        try
        {
            await _tags.AddEntityAsync(new TagEntity
            {
                PartitionKey = StorageLayout.Key(name),
                RowKey = tag.Value,
                Digest = digest.ToString(),
                CreatedAt = now,
                UpdatedAt = now,
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
        finally
        {
            cache.Remove(("tag", name.Value, tag.Value));
        }
    }

    public async Task<TagEntity?> GetTagEntityOrNullAsync(RepositoryName name, Tag tag, CancellationToken cancellationToken = default) =>
        await _tags.GetOrNullAsync<TagEntity>(StorageLayout.Key(name), tag.Value, cancellationToken);

    /// <summary>Moves an existing tag on condition of its ETag (its first-push time stays); false when it changed meanwhile.</summary>
    public async Task<bool> UpdateTagAsync(TagEntity tag, Digest digest, CancellationToken cancellationToken = default)
    {
        tag.Digest = digest.ToString();
        tag.UpdatedAt = time.GetUtcNow();
        try
        {
            await _tags.UpdateEntityAsync(tag, tag.ETag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return false;
        }
        finally
        {
            cache.Remove(("tag", StorageLayout.NameOf(tag.PartitionKey), tag.RowKey));
        }
    }

    /// <summary>Every tag of a repository (name, digest, first push, last update).</summary>
    public Task<IReadOnlyList<TagEntity>> ListTagEntitiesAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        ListTagEntitiesAsync(name, null, int.MaxValue, cancellationToken);

    /// <summary>At most <paramref name="count"/> tags in name order, from <paramref name="from"/> on (itself included).</summary>
    public async Task<IReadOnlyList<TagEntity>> ListTagEntitiesAsync(RepositoryName name, string? from, int count, CancellationToken cancellationToken = default)
    {
        var key = StorageLayout.Key(name);
        var filter = from is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {key}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {key} and RowKey ge {from}");
        return await _tags.QueryAsync<TagEntity>(filter, Math.Clamp(count, 1, 1000), ["RowKey", "Digest", "CreatedAt", "UpdatedAt"], cancellationToken)
            .TakeAsync(count, cancellationToken);
    }

    /// <summary>Deletes a tag; false when it did not exist.</summary>
    public async Task<bool> DeleteTagAsync(RepositoryName name, Tag tag, CancellationToken cancellationToken = default)
    {
        cache.Remove(("tag", name.Value, tag.Value));
        // A missing entity is answered 404 without an exception.
        var response = await _tags.DeleteEntityAsync(StorageLayout.Key(name), tag.Value, ETag.All, cancellationToken);
        return response.Status != 404;
    }

    /// <summary>Tags after <paramref name="last"/> in lexical order, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(RepositoryName name, string? last, int count, CancellationToken cancellationToken = default)
    {
        var key = StorageLayout.Key(name);
        var filter = last is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {key}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {key} and RowKey gt {last}");
        return await TakeRowKeysAsync(_tags.QueryAsync<TagEntity>(filter, Math.Clamp(count, 1, 1000), ["RowKey"], cancellationToken), count, k => k, cancellationToken);
    }

    // ---- manifests ----------------------------------------------------------------------------------

    public async Task<ManifestEntity?> GetManifestOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        var cacheKey = ("manifest", name.Value, digest);
        if (cache.TryGetValue(cacheKey, out ManifestEntity? cached))
        {
            return cached;
        }

        var result = await _manifests.GetEntityIfExistsAsync<ManifestEntity>(StorageLayout.Key(name), digest.ToString(), cancellationToken: cancellationToken);
        if (!result.HasValue)
        {
            return null;
        }

        cache.Set(cacheKey, result.Value, _cacheLifetime);
        return result.Value;
    }

    public async Task PutManifestAsync(RepositoryName name, ParsedManifest manifest, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var entity = new ManifestEntity
        {
            PartitionKey = StorageLayout.Key(name),
            RowKey = manifest.Digest.ToString(),
            MediaType = manifest.MediaType,
            Size = manifest.Size,
            Content = content.Length <= ManifestEntity.InlineLimit ? content.ToArray() : null,
            Subject = manifest.Subject?.Digest,
            ArtifactType = manifest.ArtifactType,
            PushedAt = time.GetUtcNow(),
        };
        await _manifests.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        cache.Remove(("manifest", name.Value, manifest.Digest));
    }

    /// <summary>Deletes a manifest row; false when it did not exist.</summary>
    public async Task<bool> DeleteManifestAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        cache.Remove(("manifest", name.Value, digest));
        // A missing entity is answered 404 without an exception.
        var response = await _manifests.DeleteEntityAsync(StorageLayout.Key(name), digest.ToString(), ETag.All, cancellationToken);
        return response.Status != 404;
    }

    // ---- blob links ---------------------------------------------------------------------------------

    /// <summary>The size of a blob the repository links to, or null when it has no link.</summary>
    public async Task<long?> GetBlobLinkOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default) =>
        (await GetBlobLinkEntityOrNullAsync(name, digest, cancellationToken))?.Size;

    /// <summary>A repository's link to a blob (size and last write), or null when it has none.</summary>
    public async Task<BlobLinkEntity?> GetBlobLinkEntityOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        var cacheKey = ("link", name.Value, digest);
        if (cache.TryGetValue(cacheKey, out BlobLinkEntity? cached))
        {
            return cached;
        }

        var result = await _links.GetEntityIfExistsAsync<BlobLinkEntity>(StorageLayout.Key(name), digest.ToString(), cancellationToken: cancellationToken);
        if (!result.HasValue)
        {
            return null;
        }

        cache.Set(cacheKey, result.Value, _cacheLifetime);
        return result.Value;
    }

    public async Task LinkBlobAsync(RepositoryName name, Digest digest, long size, CancellationToken cancellationToken = default)
    {
        await _links.UpsertEntityAsync(new BlobLinkEntity
        {
            PartitionKey = StorageLayout.Key(name),
            RowKey = digest.ToString(),
            Size = size,
            LinkedAt = time.GetUtcNow(),
        }, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Removes a repository's link to a blob; false when there was none.</summary>
    public async Task<bool> UnlinkBlobAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        cache.Remove(("link", name.Value, digest));
        // A missing entity is answered 404 without an exception.
        var response = await _links.DeleteEntityAsync(StorageLayout.Key(name), digest.ToString(), ETag.All, cancellationToken);
        return response.Status != 404;
    }

    // ---- garbage collection ------------------------------------------------------------------------

    /// <summary>
    /// Writes a manifest row again so its Timestamp and ETag change, when it was last written longer ago than
    /// <paramref name="interval"/>. False when the row no longer exists (GC removed it).
    /// </summary>
    public async Task<bool> TouchManifestAsync(RepositoryName name, Digest digest, ManifestEntity manifest, TimeSpan interval, CancellationToken cancellationToken = default) =>
        IsFresh(manifest, interval) || await TouchAsync(_manifests, manifest, ("manifest", name.Value, digest), cancellationToken);

    /// <summary>As <see cref="TouchManifestAsync"/>, for a blob link.</summary>
    public async Task<bool> TouchBlobLinkAsync(RepositoryName name, Digest digest, BlobLinkEntity link, TimeSpan interval, CancellationToken cancellationToken = default) =>
        IsFresh(link, interval) || await TouchAsync(_links, link, ("link", name.Value, digest), cancellationToken);

    private bool IsFresh(RegistryEntity row, TimeSpan interval) => row.Timestamp is { } written && time.GetUtcNow() - written < interval;

    private async Task<bool> TouchAsync(TableClient table, RegistryEntity row, object cacheKey, CancellationToken cancellationToken)
    {
        cache.Remove(cacheKey);
        try
        {
            // Update, not upsert: a row GC has deleted must stay deleted, and the caller must learn of it.
            await table.UpdateEntityAsync(new TableEntity(row.PartitionKey, row.RowKey) { ["TouchedAt"] = time.GetUtcNow() },
                ETag.All, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return false;
        }
    }

    /// <summary>key(name) of every repository that has manifests or blob links, in key order.</summary>
    public async Task<IReadOnlyList<string>> ListRepositoryKeysWithContentAsync(CancellationToken cancellationToken = default)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { _manifests, _links })
        {
            string? last = null;
            await foreach (var row in table.QueryAsync<TableEntity>(select: ["PartitionKey"], maxPerPage: 1000, cancellationToken: cancellationToken))
            {
                if (row.PartitionKey != last)
                {
                    keys.Add(last = row.PartitionKey);
                }
            }
        }

        return keys.ToList();
    }

    /// <summary>Every manifest row of a repository, with its ETag and last write.</summary>
    public async Task<IReadOnlyList<ManifestEntity>> ListManifestEntitiesAsync(string key, CancellationToken cancellationToken = default) =>
        await _manifests.QueryAsync<ManifestEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {key}"), 1000, cancellationToken: cancellationToken)
            .TakeAsync(int.MaxValue, cancellationToken);

    /// <summary>Every blob link of a repository (digest, size, ETag, last write).</summary>
    public async Task<IReadOnlyList<BlobLinkEntity>> ListBlobLinkEntitiesAsync(string key, CancellationToken cancellationToken = default) =>
        await _links.QueryAsync<BlobLinkEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {key}"), 1000, ["PartitionKey", "RowKey", "Size", "Timestamp"], cancellationToken)
            .TakeAsync(int.MaxValue, cancellationToken);

    /// <summary>The digests some repository links to, leaving out the links in <paramref name="ignore"/> ("key(name)\ndigest").</summary>
    public async Task<HashSet<string>> ListLinkedDigestsAsync(ISet<string>? ignore, CancellationToken cancellationToken = default)
    {
        var digests = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in _links.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], maxPerPage: 1000, cancellationToken: cancellationToken))
        {
            if (ignore is null || !ignore.Contains($"{row.PartitionKey}\n{row.RowKey}"))
            {
                digests.Add(row.RowKey);
            }
        }

        return digests;
    }

    /// <summary>Every upload session.</summary>
    public async Task<IReadOnlyList<UploadEntity>> ListUploadEntitiesAsync(CancellationToken cancellationToken = default) =>
        await _uploads.QueryAsync<UploadEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.UploadsPartition}"), 1000, cancellationToken: cancellationToken)
            .TakeAsync(int.MaxValue, cancellationToken);

    /// <summary>Every image's scan row (digest, ETag, last write).</summary>
    public async Task<IReadOnlyList<ScanEntity>> ListScanEntitiesAsync(CancellationToken cancellationToken = default) =>
        await _scans.QueryAsync<ScanEntity>(maxPerPage: 1000, select: ["PartitionKey", "RowKey", "Timestamp"], cancellationToken: cancellationToken)
            .TakeAsync(int.MaxValue, cancellationToken);

    /// <summary>Deletes a manifest, blob link, upload or scan row read earlier, on condition that it has not been written since.</summary>
    public async Task<bool> DeleteIfUnchangedAsync(RegistryEntity row, CancellationToken cancellationToken = default)
    {
        var (table, cacheKey) = row switch
        {
            ManifestEntity => (_manifests, "manifest"),
            BlobLinkEntity => (_links, "link"),
            UploadEntity => (_uploads, null),
            ScanEntity => (_scans, null),
            _ => throw new ArgumentException($"GC does not delete {row.GetType().Name} rows", nameof(row)),
        };
        if (cacheKey is not null && Digest.TryParse(row.RowKey, out var digest))
        {
            cache.Remove((cacheKey, StorageLayout.NameOf(row.PartitionKey), digest));
        }

        try
        {
            var response = await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken);
            return response.Status != 404;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed())
        {
            return false;
        }
    }

    // ---- referrers ----------------------------------------------------------------------------------

    public async Task AddReferrerAsync(RepositoryName name, Digest subject, ParsedManifest referrer, CancellationToken cancellationToken = default)
    {
        await _referrers.UpsertEntityAsync(new ReferrerEntity
        {
            PartitionKey = StorageLayout.ReferrersPartition(name, subject),
            RowKey = referrer.Digest.ToString(),
            MediaType = referrer.MediaType,
            Size = referrer.Size,
            ArtifactType = referrer.ArtifactType,
            Annotations = referrer.Annotations is null ? null : JsonSerializer.Serialize(referrer.Annotations),
        }, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task RemoveReferrerAsync(RepositoryName name, Digest subject, Digest referrer, CancellationToken cancellationToken = default)
    {
        await _referrers.DeleteEntityAsync(StorageLayout.ReferrersPartition(name, subject), referrer.ToString(), ETag.All, cancellationToken);
    }

    public async Task<IReadOnlyList<ReferrerEntity>> ListReferrersAsync(RepositoryName name, Digest subject, CancellationToken cancellationToken = default)
    {
        var list = new List<ReferrerEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.ReferrersPartition(name, subject)}");
        await foreach (var entity in _referrers.QueryAsync<ReferrerEntity>(filter, 1000, cancellationToken: cancellationToken))
        {
            list.Add(entity);
        }

        return list;
    }

    // ---- upload sessions ----------------------------------------------------------------------------

    public async Task AddUploadAsync(string uploadId, RepositoryName name, CancellationToken cancellationToken = default)
    {
        await _uploads.AddEntityAsync(new UploadEntity
        {
            PartitionKey = StorageLayout.UploadsPartition,
            RowKey = uploadId,
            Repository = name.Value,
            StartedAt = time.GetUtcNow(),
        }, cancellationToken);
    }

    public async Task<UploadEntity?> GetUploadOrNullAsync(string uploadId, CancellationToken cancellationToken = default) =>
        await _uploads.GetOrNullAsync<UploadEntity>(StorageLayout.UploadsPartition, uploadId, cancellationToken);

    public async Task DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default)
    {
        await _uploads.DeleteEntityAsync(StorageLayout.UploadsPartition, uploadId, ETag.All, cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> TakeRowKeysAsync<T>(
        AsyncPageable<T> query, int count, Func<string, string> map, CancellationToken cancellationToken)
        where T : RegistryEntity =>
        (await query.TakeAsync(count, cancellationToken)).Select(e => map(e.RowKey)).ToList();
}
