using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Storage.Entities;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>
/// The Repositories, Tags, Manifests, BlobLinks, Referrers and Uploads tables, their one owner.
/// Positive lookups of tags, manifests and blob links are cached for MetadataCacheLifetime; every write on this
/// instance evicts what it changes, so this instance sees its own writes at once and others within that lifetime.
/// </summary>
public sealed class MetadataStore(StorageClients clients, IPolicyStore policies, IMemoryCache cache, IOptions<RegistryOptions> options, TimeProvider time)
    : IMetadataStore
{
    private readonly TableClient _repositories = clients.Table(StorageLayout.RepositoriesTable);
    private readonly TableClient _tags = clients.Table(StorageLayout.TagsTable);
    private readonly TableClient _manifests = clients.Table(StorageLayout.ManifestsTable);
    private readonly TableClient _links = clients.Table(StorageLayout.BlobLinksTable);
    private readonly TableClient _referrers = clients.Table(StorageLayout.ReferrersTable);
    private readonly TableClient _uploads = clients.Table(StorageLayout.UploadsTable);
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

        await AddRepositoryAsync(name, new RepositoryRecord(), cancellationToken);
        cache.Set(cacheKey, true, _cacheLifetime);
    }

    /// <summary>Adds a repository with <paramref name="settings"/>; false when it exists already.</summary>
    public async Task<bool> AddRepositoryAsync(RepositoryName name, RepositoryRecord settings, CancellationToken cancellationToken = default)
    {
        settings.Name = name.Value;
        settings.Id = Guid.NewGuid().ToString();
        settings.CreatedAt = time.GetUtcNow();
        try
        {
            await _repositories.AddEntityAsync(RepositoryEntity.From(settings), cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict())
        {
            return false;
        }
    }

    public async Task<RepositoryRecord?> GetRepositoryOrNullAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        (await _repositories.GetOrNullAsync<RepositoryEntity>(StorageLayout.RepositoriesPartition, StorageLayout.Key(name), cancellationToken))?.ToRecord();

    public async Task<bool> RepositoryExistsAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        await GetRepositoryOrNullAsync(name, cancellationToken) is not null;

    /// <summary>Replaces a repository's settings on condition of its ETag; false when it changed meanwhile.</summary>
    public async Task<bool> UpdateRepositoryAsync(RepositoryRecord repository, CancellationToken cancellationToken = default)
    {
        try
        {
            var entity = RepositoryEntity.From(repository);
            await _repositories.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
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
    public async Task<IReadOnlyList<RepositoryRecord>> ListRepositoryRecordsAsync(
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

        return (await _repositories.QueryAsync<RepositoryEntity>(filter, Math.Clamp(count, 1, 1000), cancellationToken: cancellationToken)
            .TakeAsync(count, cancellationToken)).Select(r => r.ToRecord()).ToList();
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
    public async Task<bool> TryAddTagAsync(RepositoryName name, Tag tag, Digest digest, string? author, TagOrigin? origin, CancellationToken cancellationToken = default)
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
                Author = author ?? "",
                Origin = origin?.Serialize() ?? "",
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

    public async Task<TagRecord?> GetTagRecordOrNullAsync(RepositoryName name, Tag tag, CancellationToken cancellationToken = default) =>
        (await _tags.GetOrNullAsync<TagEntity>(StorageLayout.Key(name), tag.Value, cancellationToken))?.ToRecord();

    /// <summary>Moves an existing tag on condition of its ETag (its first-push time stays); false when it changed meanwhile.</summary>
    public async Task<bool> UpdateTagAsync(RepositoryName name, TagRecord tag, Digest digest, string? author, TagOrigin? origin, CancellationToken cancellationToken = default)
    {
        tag.Digest = digest.ToString();
        tag.Author = author ?? "";
        tag.Origin = origin;
        tag.UpdatedAt = time.GetUtcNow();
        try
        {
            await _tags.UpdateEntityAsync(new TagEntity
            {
                PartitionKey = StorageLayout.Key(name), RowKey = tag.Name, Digest = tag.Digest, CreatedAt = tag.CreatedAt, UpdatedAt = tag.UpdatedAt, Author = tag.Author,
                Origin = origin?.Serialize() ?? "",
            }, RegistryEntity.VersionOf(tag), TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsNotFound())
        {
            return false;
        }
        finally
        {
            cache.Remove(("tag", name.Value, tag.Name));
        }
    }

    /// <summary>Every tag of a repository (name, digest, first push, last update).</summary>
    public Task<IReadOnlyList<TagRecord>> ListTagRecordsAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        ListTagRecordsAsync(name, null, int.MaxValue, cancellationToken);

    /// <summary>At most <paramref name="count"/> tags in name order, from <paramref name="from"/> on (itself included).</summary>
    public async Task<IReadOnlyList<TagRecord>> ListTagRecordsAsync(RepositoryName name, string? from, int count, CancellationToken cancellationToken = default)
    {
        var key = StorageLayout.Key(name);
        var filter = from is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {key}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {key} and RowKey ge {from}");
        return (await _tags.QueryAsync<TagEntity>(filter, Math.Clamp(count, 1, 1000), ["RowKey", "Digest", "CreatedAt", "UpdatedAt", "Author", "Origin"], cancellationToken)
            .TakeAsync(count, cancellationToken)).Select(t => t.ToRecord()).ToList();
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

    public Task<ManifestRecord?> GetManifestOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default) =>
        GetCachedAsync(_manifests, "manifest", name, digest, (ManifestEntity m) => m.ToRecord(), cancellationToken);

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
        (await GetBlobLinkRecordOrNullAsync(name, digest, cancellationToken))?.Size;

    /// <summary>A repository's link to a blob (size and last write), or null when it has none.</summary>
    public Task<BlobLink?> GetBlobLinkRecordOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default) =>
        GetCachedAsync(_links, "link", name, digest, (BlobLinkEntity l) => l.ToRecord(), cancellationToken);

    /// <summary>
    /// A repository's row keyed by digest (a manifest or a blob link), from this instance's cache when it read it within
    /// the cache lifetime; found rows are cached, absent ones are not.
    /// </summary>
    private async Task<TRecord?> GetCachedAsync<TEntity, TRecord>(
        TableClient table, string cacheKind, RepositoryName name, Digest digest, Func<TEntity, TRecord> toRecord, CancellationToken cancellationToken)
        where TEntity : class, ITableEntity
        where TRecord : class
    {
        var cacheKey = (cacheKind, name.Value, digest);
        if (cache.TryGetValue(cacheKey, out TRecord? cached))
        {
            return cached;
        }

        var row = await table.GetOrNullAsync<TEntity>(StorageLayout.Key(name), digest.ToString(), cancellationToken);
        return row is null ? null : cache.Set(cacheKey, toRecord(row), _cacheLifetime);
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

    public async Task<bool> TouchManifestAsync(RepositoryName name, ManifestRecord manifest, TimeSpan interval, CancellationToken cancellationToken = default) =>
        IsFresh(manifest, interval) || await TouchAsync(_manifests, name, manifest.Digest, "manifest", cancellationToken);

    public async Task<bool> TouchBlobLinkAsync(RepositoryName name, BlobLink link, TimeSpan interval, CancellationToken cancellationToken = default) =>
        IsFresh(link, interval) || await TouchAsync(_links, name, link.Digest, "link", cancellationToken);

    private bool IsFresh(StoredRecord row, TimeSpan interval) => row.WrittenAt is { } written && time.GetUtcNow() - written < interval;

    private async Task<bool> TouchAsync(TableClient table, RepositoryName name, string digest, string cacheKind, CancellationToken cancellationToken)
    {
        Forget(cacheKind, name, digest);
        try
        {
            // Update, not upsert: a row GC has deleted must stay deleted, and the caller must learn of it.
            await table.UpdateEntityAsync(new TableEntity(StorageLayout.Key(name), digest) { ["TouchedAt"] = time.GetUtcNow() },
                ETag.All, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<string>> ListRepositoriesWithContentAsync(CancellationToken cancellationToken = default)
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

        return keys.Select(StorageLayout.NameOf).ToList();
    }

    public async Task<IReadOnlyList<ManifestRecord>> ListManifestRecordsAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        (await _manifests.QueryAsync<ManifestEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(name)}"), 1000, cancellationToken: cancellationToken)
            .TakeAsync(int.MaxValue, cancellationToken)).Select(m => m.ToRecord()).ToList();

    public async Task<IReadOnlyList<BlobLink>> ListBlobLinksAsync(RepositoryName name, CancellationToken cancellationToken = default) =>
        (await _links.QueryAsync<BlobLinkEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.Key(name)}"), 1000,
            ["PartitionKey", "RowKey", "Size", "Timestamp"], cancellationToken).TakeAsync(int.MaxValue, cancellationToken)).Select(l => l.ToRecord()).ToList();

    public async Task<HashSet<string>> ListLinkedDigestsAsync(ISet<string>? ignore, CancellationToken cancellationToken = default)
    {
        var digests = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in _links.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], maxPerPage: 1000, cancellationToken: cancellationToken))
        {
            if (ignore is null || !ignore.Contains($"{StorageLayout.NameOf(row.PartitionKey)}\n{row.RowKey}"))
            {
                digests.Add(row.RowKey);
            }
        }

        return digests;
    }

    public async Task<bool> DeleteManifestIfUnchangedAsync(RepositoryName name, ManifestRecord manifest, CancellationToken cancellationToken = default)
    {
        Forget("manifest", name, manifest.Digest);
        return await _manifests.DeleteIfUnchangedAsync(StorageLayout.Key(name), manifest.Digest, manifest, cancellationToken);
    }

    public async Task<bool> DeleteBlobLinkIfUnchangedAsync(RepositoryName name, BlobLink link, CancellationToken cancellationToken = default)
    {
        Forget("link", name, link.Digest);
        return await _links.DeleteIfUnchangedAsync(StorageLayout.Key(name), link.Digest, link, cancellationToken);
    }

    private void Forget(string cacheKind, RepositoryName name, string digest)
    {
        if (Digest.TryParse(digest, out var parsed))
        {
            cache.Remove((cacheKind, name.Value, parsed));
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

    public async Task<IReadOnlyList<Referrer>> ListReferrersAsync(RepositoryName name, Digest subject, CancellationToken cancellationToken = default)
    {
        var list = new List<Referrer>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.ReferrersPartition(name, subject)}");
        await foreach (var entity in _referrers.QueryAsync<ReferrerEntity>(filter, 1000, cancellationToken: cancellationToken))
        {
            list.Add(entity.ToRecord());
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

    public async Task<UploadSession?> GetUploadOrNullAsync(string uploadId, CancellationToken cancellationToken = default) =>
        (await _uploads.GetOrNullAsync<UploadEntity>(StorageLayout.UploadsPartition, uploadId, cancellationToken))?.ToRecord();

    public async Task DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default)
    {
        await _uploads.DeleteEntityAsync(StorageLayout.UploadsPartition, uploadId, ETag.All, cancellationToken);
    }

    public async Task<IReadOnlyList<UploadSession>> ListUploadSessionsAsync(CancellationToken cancellationToken = default) =>
        (await _uploads.QueryAsync<UploadEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.UploadsPartition}"), 1000, cancellationToken: cancellationToken)
            .TakeAsync(int.MaxValue, cancellationToken)).Select(u => u.ToRecord()).ToList();

    public async Task<bool> DeleteUploadIfUnchangedAsync(UploadSession session, CancellationToken cancellationToken = default) =>
        await _uploads.DeleteIfUnchangedAsync(StorageLayout.UploadsPartition, session.Id, session, cancellationToken);

    private static async Task<IReadOnlyList<string>> TakeRowKeysAsync<T>(
        AsyncPageable<T> query, int count, Func<string, string> map, CancellationToken cancellationToken)
        where T : RegistryEntity =>
        (await query.TakeAsync(count, cancellationToken)).Select(e => map(e.RowKey)).ToList();
}
