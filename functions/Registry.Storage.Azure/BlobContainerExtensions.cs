using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Registry.Records;

namespace Registry.Storage;

/// <summary>The listing and conditional delete of blobs that GC works with, for every store that keeps blobs.</summary>
internal static class BlobContainerExtensions
{
    /// <summary>The blobs under <paramref name="prefix"/>, from the listing alone, named by <paramref name="nameOf"/> (those it cannot name are left out).</summary>
    public static async IAsyncEnumerable<StoredBlob> ListAsync(
        this BlobContainerClient container, string prefix, Func<string, string?> nameOf,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            if (nameOf(item.Name) is { } name && item.Properties.ETag is { } etag)
            {
                var p = item.Properties;
                yield return new StoredBlob(item.Name, name, p.ContentLength ?? 0, etag.ToString(), p.LastModified ?? DateTimeOffset.MinValue);
            }
        }
    }

    /// <summary>Deletes a blob listed earlier, on condition that it has not been written (touched) since.</summary>
    public static async Task<bool> DeleteIfUnchangedAsync(this BlobContainerClient container, StoredBlob blob, CancellationToken cancellationToken)
    {
        try
        {
            var response = await container.GetBlobClient(blob.Location).DeleteIfExistsAsync(
                conditions: new BlobRequestConditions { IfMatch = new ETag(blob.ETag) }, cancellationToken: cancellationToken);
            return response.Value;
        }
        catch (RequestFailedException e) when (e.IsPreconditionFailed())
        {
            return false;
        }
    }
}
