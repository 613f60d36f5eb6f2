using System.Buffers;
using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Services;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>
/// The blob container: content-addressed blobs (create-only) and uploads in progress (block blobs that grow by
/// one committed block list per request). Knows nothing of repositories.
/// </summary>
public sealed class ContentStore(StorageClients clients, IOptions<RegistryOptions> options, TimeProvider time) : IContentStore
{
    private readonly BlobContainerClient _container = clients.Container;
    private readonly RegistryOptions _options = options.Value;
    private readonly SemaphoreSlim _delegationKeyLock = new(1, 1);
    private UserDelegationKey? _delegationKey;

    /// <summary>How often a write that finds its content stored, then sees GC delete it, tries again.</summary>
    private const int MaxStoreAttempts = 3;

    /// <summary>
    /// Stores small content (a manifest) under its digest. When it is there already (content-addressed: the same
    /// digest is the same bytes), touches it instead, so a GC run that judged it unreferenced cannot delete it.
    /// </summary>
    public async Task PutAsync(Digest digest, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(StorageLayout.ContentPath(digest));
        await CreateOrTouchAsync(digest, () => blob.UploadAsync(new BinaryData(content), new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        }, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Creates a content blob with <paramref name="create"/> (create-only), or, when it is stored already (the same
    /// digest is the same bytes), touches it so a GC run that judged it unreferenced cannot delete it. When GC
    /// deleted it between the two, creates it again.
    /// </summary>
    private async Task CreateOrTouchAsync(Digest digest, Func<Task> create, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await create();
                return;
            }
            catch (RequestFailedException e) when ((e.IsConflict() || e.IsPreconditionFailed()) && attempt < MaxStoreAttempts)
            {
                if (await TouchAsync(digest, cancellationToken))
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Writes a content blob's metadata so its ETag and Last-Modified change: GC deletes only on condition of the
    /// ETag it judged by, so after a touch that delete fails. False when the blob is gone (GC won the race).
    /// </summary>
    public async Task<bool> TouchAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        try
        {
            await _container.GetBlobClient(StorageLayout.ContentPath(digest)).SetMetadataAsync(
                new Dictionary<string, string> { ["touched"] = time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
                cancellationToken: cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return false;
        }
    }

    /// <summary>Every content blob (under <c>blobs/</c>), from the listing alone.</summary>
    public IAsyncEnumerable<StoredBlob> ListContentAsync(CancellationToken cancellationToken = default) =>
        _container.ListAsync(StorageLayout.ContentPrefix, path => StorageLayout.DigestOf(path)?.ToString(), cancellationToken);

    /// <summary>Every upload blob (under <c>uploads/</c>), from the listing alone.</summary>
    public IAsyncEnumerable<StoredBlob> ListUploadsAsync(CancellationToken cancellationToken = default) =>
        _container.ListAsync(StorageLayout.UploadsPrefix, StorageLayout.UploadIdOf, cancellationToken);

    /// <summary>Whether a content blob is stored now.</summary>
    public async Task<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken = default) =>
        await _container.GetBlobClient(StorageLayout.ContentPath(digest)).ExistsAsync(cancellationToken);

    public Task<bool> DeleteIfUnchangedAsync(StoredBlob blob, CancellationToken cancellationToken = default) =>
        _container.DeleteIfUnchangedAsync(blob, cancellationToken);

    /// <summary>Reads small content whole; null when it is not stored.</summary>
    public async Task<byte[]?> ReadAllOrNullAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadAllAsync(digest, cancellationToken);
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return null;
        }
    }

    /// <summary>Reads small content (a manifest too large to keep inline) whole.</summary>
    public async Task<byte[]> ReadAllAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var result = await _container.GetBlobClient(StorageLayout.ContentPath(digest)).DownloadContentAsync(cancellationToken);
        return result.Value.Content.ToArray();
    }

    /// <summary>Opens content for streaming, optionally one byte range of it (inclusive ends).</summary>
    public async Task<Stream> OpenReadAsync(Digest digest, ContentRange? range, CancellationToken cancellationToken = default)
    {
        var result = await _container.GetBlobClient(StorageLayout.ContentPath(digest)).DownloadStreamingAsync(new BlobDownloadOptions
        {
            Range = range is { } r ? new HttpRange(r.Start, r.Length) : default,
        }, cancellationToken);
        return result.Value.Content;
    }

    /// <summary>A short-lived read-only URL of the content blob: account-key SAS, or user-delegation SAS with an identity.</summary>
    public async Task<Uri> CreateReadUriAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(StorageLayout.ContentPath(digest));
        var builder = new BlobSasBuilder(BlobSasPermissions.Read, time.GetUtcNow() + _options.RedirectLifetime)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = time.GetUtcNow().AddMinutes(-5),
        };
        if (blob.CanGenerateSasUri)
        {
            return blob.GenerateSasUri(builder);
        }

        var key = await GetDelegationKeyAsync(cancellationToken);
        var query = builder.ToSasQueryParameters(key, clients.BlobService.AccountName);
        return new BlobUriBuilder(blob.Uri) { Sas = query }.ToUri();
    }

    /// <summary>
    /// Appends <paramref name="body"/> to an upload: stages it in blocks (<see cref="StageAllAsync"/>), then commits
    /// the new block list on condition that nobody else committed since <paramref name="state"/> was read.
    /// Returns the number of bytes read, or null when another request won the race. When the body does not hold
    /// <paramref name="expectedLength"/> bytes, nothing is committed and the count read is returned.
    /// </summary>
    public async Task<long?> AppendUploadAsync(
        string uploadId, UploadState state, Stream body, IncrementalHash? hash, long? expectedLength,
        CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlockBlobClient(StorageLayout.UploadPath(uploadId));
        var (newBlocks, written) = await StageAllAsync(blob, body, hash, cancellationToken);
        if (newBlocks.Count == 0 || (expectedLength is { } expected && expected != written))
        {
            return written;
        }

        try
        {
            await blob.CommitBlockListAsync(state.CommittedBlocks.Concat(newBlocks), new CommitBlockListOptions
            {
                Conditions = state.ETag is { } etag ? new BlobRequestConditions { IfMatch = new ETag(etag) } : new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed() || e.IsConflict())
        {
            return null;
        }

        return written;
    }

    /// <summary>
    /// Stores a whole blob sent in one request (a monolithic upload) straight under its digest: stages the body as
    /// blocks of the content blob while hashing it, and commits them, create-only, only when the bytes hash to
    /// <paramref name="digest"/>. Nothing is visible before that; a mismatch leaves only uncommitted blocks, which
    /// storage discards by itself. When the digest is stored already, touches it instead (as <see cref="PutAsync"/>).
    /// Returns the size, or null when the bytes do not match the digest.
    /// </summary>
    public async Task<long?> StoreAsync(Digest digest, Stream body, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlockBlobClient(StorageLayout.ContentPath(digest));
        using var hash = digest.CreateHash();
        var (blocks, written) = await StageAllAsync(blob, body, hash, cancellationToken);
        if (Digest.FromHash(digest.Algorithm, hash.GetHashAndReset()) != digest)
        {
            return null;
        }

        if (written == 0)
        {
            await PutAsync(digest, ReadOnlyMemory<byte>.Empty, cancellationToken);
            return 0;
        }

        await CreateOrTouchAsync(digest, () => blob.CommitBlockListAsync(blocks, new CommitBlockListOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        }, cancellationToken), cancellationToken);
        return written;
    }

    /// <summary>
    /// Reads <paramref name="body"/> in blocks of BlockSize, feeds each to <paramref name="hash"/> in order and stages
    /// up to UploadParallelism blocks of <paramref name="blob"/> at once, under block ids of its own (so that two
    /// requests staging to one blob never mix their blocks). Returns the staged block ids and the bytes read.
    /// </summary>
    private async Task<(List<string> Blocks, long Written)> StageAllAsync(
        BlockBlobClient blob, Stream body, IncrementalHash? hash, CancellationToken cancellationToken)
    {
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var blocks = new List<string>();
        var inFlight = new List<Task>();
        long written = 0;
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(_options.BlockSize);
                var length = await FillAsync(body, buffer, _options.BlockSize, cancellationToken);
                if (length == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                hash?.AppendData(buffer, 0, length);
                written += length;
                // The next block was read while the others were staging; wait for a free slot only now.
                if (inFlight.Count >= _options.UploadParallelism)
                {
                    var done = await Task.WhenAny(inFlight);
                    inFlight.Remove(done);
                    await done;
                }

                // Block ids must have one length within a blob: 16 hex of nonce + 8 digits.
                var blockId = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{nonce}{blocks.Count:D8}"));
                blocks.Add(blockId);
                inFlight.Add(StageAsync(blob, blockId, buffer, length, cancellationToken));

                if (length < _options.BlockSize)
                {
                    break;
                }
            }

            await Task.WhenAll(inFlight);
        }
        finally
        {
            // Let every stage finish (or fail) before the caller moves on; buffers are returned by StageAsync.
            await Task.WhenAll(inFlight.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        return (blocks, written);
    }

    /// <summary>What has been committed to an upload so far (nothing when the blob does not exist yet).</summary>
    public async Task<UploadState> GetUploadStateAsync(string uploadId, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlockBlobClient(StorageLayout.UploadPath(uploadId));
        try
        {
            var response = await blob.GetBlockListAsync(BlockListTypes.Committed, cancellationToken: cancellationToken);
            var blocks = response.Value.CommittedBlocks.Select(b => b.Name).ToList();
            // A blob with staged but never committed blocks (a request that failed midway) does not exist yet.
            return blocks.Count == 0
                ? UploadState.Empty
                : new UploadState(response.Value.BlobContentLength, blocks, response.GetRawResponse().Headers.ETag?.ToString());
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            return UploadState.Empty;
        }
    }

    /// <summary>Hashes an upload's committed bytes again (when the request that finishes it landed elsewhere).</summary>
    public async Task<Digest> HashUploadAsync(string uploadId, string algorithm, CancellationToken cancellationToken = default)
    {
        using var hash = Digest.CreateHash(algorithm);
        var blob = _container.GetBlobClient(StorageLayout.UploadPath(uploadId));
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            await using var stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false)
            {
                BufferSize = _options.BlockSize,
            }, cancellationToken);
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }
        catch (RequestFailedException e) when (e.IsNotFound())
        {
            // An upload with no bytes: the hash of nothing.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Digest.FromHash(algorithm, hash.GetHashAndReset());
    }

    /// <summary>
    /// Makes a finished upload the content blob of <paramref name="digest"/> by a server-side copy (no bytes pass
    /// through the app); keeps the existing blob when that digest is already stored. Then drops the upload blob.
    /// </summary>
    public async Task PromoteUploadAsync(string uploadId, Digest digest, long size, CancellationToken cancellationToken = default)
    {
        var target = _container.GetBlobClient(StorageLayout.ContentPath(digest));
        if (size == 0)
        {
            await PutAsync(digest, ReadOnlyMemory<byte>.Empty, cancellationToken);
            return;
        }

        var source = _container.GetBlobClient(StorageLayout.UploadPath(uploadId));
        var sourceUri = source.CanGenerateSasUri
            ? source.GenerateSasUri(BlobSasPermissions.Read, time.GetUtcNow().AddHours(1))
            : new BlobUriBuilder(source.Uri)
            {
                Sas = new BlobSasBuilder(BlobSasPermissions.Read, time.GetUtcNow().AddHours(1))
                {
                    BlobContainerName = source.BlobContainerName,
                    BlobName = source.Name,
                    Resource = "b",
                }.ToSasQueryParameters(await GetDelegationKeyAsync(cancellationToken), clients.BlobService.AccountName),
            }.ToUri();
        await CreateOrTouchAsync(digest, async () =>
        {
            var copy = await target.StartCopyFromUriAsync(sourceUri, new BlobCopyFromUriOptions
            {
                DestinationConditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken);
            await copy.WaitForCompletionAsync(TimeSpan.FromMilliseconds(200), cancellationToken);
        }, cancellationToken);

        await DeleteUploadAsync(uploadId, cancellationToken);
    }

    /// <summary>Drops an upload's data, committed or not.</summary>
    public async Task DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default) =>
        await _container.GetBlobClient(StorageLayout.UploadPath(uploadId)).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    private static async Task StageAsync(BlockBlobClient blob, string blockId, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        try
        {
            using var content = new MemoryStream(buffer, 0, length, writable: false);
            await blob.StageBlockAsync(blockId, content, cancellationToken: cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<int> FillAsync(Stream body, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < count)
        {
            var read = await body.ReadAsync(buffer.AsMemory(filled, count - filled), cancellationToken);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    private async Task<UserDelegationKey> GetDelegationKeyAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_delegationKey is { } cached && cached.SignedExpiresOn > now.AddMinutes(30))
        {
            return cached;
        }

        await _delegationKeyLock.WaitAsync(cancellationToken);
        try
        {
            if (_delegationKey is not { } current || current.SignedExpiresOn <= now.AddMinutes(30))
            {
                var response = await clients.BlobService.GetUserDelegationKeyAsync(now.AddMinutes(-5), now.AddHours(2), cancellationToken);
                _delegationKey = response.Value;
            }

            return _delegationKey;
        }
        finally
        {
            _delegationKeyLock.Release();
        }
    }
}
