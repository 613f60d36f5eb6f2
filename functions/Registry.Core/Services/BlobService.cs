using Microsoft.Extensions.Options;
using Registry.Errors;
using Registry.Oci;
using Registry.Options;
using Registry.Stores;

namespace Registry.Services;

/// <summary>Blobs as a repository sees them: only through its own links (distribution-spec "Pulling blobs").</summary>
public sealed class BlobService(
    IMetadataStore metadata, IContentStore content, Events.EventService events, IOptions<RegistryOptions> options, IOptions<GcOptions> gc)
{
    private readonly BlobDelivery _delivery = options.Value.BlobDelivery;
    private readonly TimeSpan _touchInterval = gc.Value.TouchInterval;

    /// <summary>The size of a blob the repository links to; BLOB_UNKNOWN otherwise.</summary>
    public async Task<long> GetSizeAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default) =>
        await metadata.GetBlobLinkOrNullAsync(name, digest, cancellationToken) ?? throw Unknown(digest);

    /// <summary>
    /// HEAD: the size of a blob the repository links to. A pusher that finds the blob here will not upload it, so an
    /// old link is touched: GC cannot then remove it before the manifest that needs it arrives (as Harbor's HEAD does).
    /// </summary>
    public async Task<long> HeadAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        var link = await metadata.GetBlobLinkRecordOrNullAsync(name, digest, cancellationToken);
        if (link is null || !await metadata.TouchBlobLinkAsync(name, link, _touchInterval, cancellationToken))
        {
            throw Unknown(digest);
        }

        return link.Size;
    }

    /// <summary>How to deliver a blob: a redirect URL, or (proxy mode) a stream of the asked range.</summary>
    public async Task<BlobDownload> GetAsync(RepositoryName name, Digest digest, ContentRange? range, CancellationToken cancellationToken = default)
    {
        var size = await GetSizeAsync(name, digest, cancellationToken);
        if (_delivery == BlobDelivery.Redirect)
        {
            return new BlobDownload(size, await content.CreateReadUriAsync(digest, cancellationToken), null);
        }

        var stream = await content.OpenReadAsync(digest, range, cancellationToken);
        return new BlobDownload(size, null, stream);
    }

    /// <summary>Removes the repository's link; the content stays for other repositories until GC.</summary>
    public async Task DeleteAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        if (!await metadata.UnlinkBlobAsync(name, digest, cancellationToken))
        {
            throw Unknown(digest);
        }
    }

    /// <summary>A client's cross-repository mount (<see cref="LinkFromAsync"/>), raising BLOB_MOUNT naming <paramref name="author"/>.</summary>
    public async Task<long?> MountAsync(RepositoryName name, Digest digest, RepositoryName from, string? author, CancellationToken cancellationToken = default)
    {
        var size = await LinkFromAsync(name, digest, from, cancellationToken);
        if (size is not null && await events.WantsAsync(Events.EventTypes.BlobMount, name.Value, cancellationToken))
        {
            await events.RaiseAsync(events.RepositoryFactEvent(Events.EventTypes.BlobMount, name, new()
            {
                ["digest"] = digest.ToString(), ["size"] = size.Value, ["from"] = from.Value, ["author"] = author ?? "",
            }, "mountedAt", $"{digest}\n{from}\n{Guid.NewGuid():N}"), cancellationToken);
        }

        return size;
    }

    /// <summary>
    /// Links a blob of <paramref name="from"/> into <paramref name="name"/> without moving bytes.
    /// Returns null when the source does not link it (the caller falls back to a new upload).
    /// </summary>
    public async Task<long?> LinkFromAsync(RepositoryName name, Digest digest, RepositoryName from, CancellationToken cancellationToken = default)
    {
        var size = await metadata.GetBlobLinkOrNullAsync(from, digest, cancellationToken);
        // The content is touched before the new link exists: GC, which judged the content by its ETag, can then no
        // longer delete it; when GC deleted it first, the client uploads it again.
        if (size is null || !await content.TouchAsync(digest, cancellationToken))
        {
            return null;
        }

        await metadata.LinkBlobAsync(name, digest, size.Value, cancellationToken);
        await metadata.EnsureRepositoryAsync(name, cancellationToken);
        return size;
    }

    private static RegistryException Unknown(Digest digest) =>
        RegistryException.Of(OciErrorCode.BlobUnknown, "blob unknown to registry", "digest", digest.ToString());
}

/// <summary>A blob to deliver: by <see cref="RedirectUri"/> or by <see cref="Content"/>.</summary>
public sealed record BlobDownload(long Size, Uri? RedirectUri, Stream? Content);
