using System.Globalization;
using Registry.Errors;
using Registry.Oci;
using Registry.Services;

namespace Registry.Http.Handlers;

/// <summary>Blob reads and deletes.</summary>
public sealed class BlobHandlers(BlobService blobs, Caching.PullThroughCache cache, Caching.ContentCacheService contentCaches)
{
    /// <summary>end-2: HEAD /v2/&lt;name&gt;/blobs/&lt;digest&gt;, answered from metadata.</summary>
    public async Task<HttpResult> HeadBlobAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var digest = request.Digest!.Value;
        var size = cache.Enabled
            ? await cache.HeadBlobAsync(request.Name, digest, cancellationToken)
            : await blobs.HeadAsync(request.Name, digest, cancellationToken);
        return HttpResult.Empty(200)
            .WithoutBody(MediaTypes.OctetStream, size)
            .WithHeader(OciHeaders.ContentDigest, digest.ToString())
            .WithHeader("Accept-Ranges", "bytes");
    }

    /// <summary>
    /// end-2: GET /v2/&lt;name&gt;/blobs/&lt;digest&gt;: 307 to a read-only SAS URL, or the bytes in proxy mode (Range
    /// honoured). A user who chose a content cache is sent there instead, by a signed redirect. A cache that lacks the
    /// blob fetches it, and the request that started the fetch is answered the whole blob as it arrives.
    /// </summary>
    public async Task<HttpResult> GetBlobAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var digest = request.Digest!.Value;
        if (cache.Enabled && await cache.EnsureBlobAsync(request.Name, digest, cancellationToken) is { } fill)
        {
            return HttpResult.Empty(200)
                .WithStream(fill.Stream, MediaTypes.OctetStream, fill.Length >= 0 ? fill.Length : null)
                .WithHeader(OciHeaders.ContentDigest, digest.ToString());
        }

        var rangeHeader = request.Http.Headers.Range.ToString();
        var size = await blobs.GetSizeAsync(request.Name, digest, cancellationToken);
        if (!cache.Enabled && request.Token is { } token && await contentCaches.RedirectUriAsync(token, request.Name, digest, cancellationToken) is { } cached)
        {
            // the user's content cache, by a redirect only the origin can sign (DTR's content caches)
            return HttpResult.Empty(307)
                .WithHeader("Location", cached.AbsoluteUri)
                .WithHeader(OciHeaders.ContentDigest, digest.ToString());
        }

        var range = ParseRange(rangeHeader, size);
        var download = await blobs.GetAsync(request.Name, digest, range, cancellationToken);
        if (download.RedirectUri is { } uri)
        {
            return HttpResult.Empty(307)
                .WithHeader("Location", uri.AbsoluteUri)
                .WithHeader(OciHeaders.ContentDigest, digest.ToString());
        }

        if (range is { } r)
        {
            return HttpResult.Empty(206)
                .WithStream(download.Content!, MediaTypes.OctetStream, r.Length)
                .WithHeader("Content-Range", $"bytes {r.Start}-{r.End}/{size}")
                .WithHeader(OciHeaders.ContentDigest, digest.ToString());
        }

        return HttpResult.Empty(200)
            .WithStream(download.Content!, MediaTypes.OctetStream, size)
            .WithHeader(OciHeaders.ContentDigest, digest.ToString())
            .WithHeader("Accept-Ranges", "bytes");
    }

    /// <summary>end-10: DELETE /v2/&lt;name&gt;/blobs/&lt;digest&gt;.</summary>
    public async Task<HttpResult> DeleteBlobAsync(OciRequest request, CancellationToken cancellationToken)
    {
        await blobs.DeleteAsync(request.Name, request.Digest!.Value, cancellationToken);
        return HttpResult.Empty(202);
    }

    /// <summary>
    /// The one satisfiable byte range of an RFC 9110 Range header (<c>bytes=a-b</c>, <c>bytes=a-</c>, <c>bytes=-n</c>);
    /// null for no Range header (or several ranges, answered whole); 416 for one that cannot be satisfied.
    /// </summary>
    internal static ContentRange? ParseRange(string header, long size)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        var text = header.Trim();
        if (!text.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || text.Contains(',', StringComparison.Ordinal))
        {
            return null;
        }

        var spec = text[6..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            throw Unsatisfiable(size);
        }

        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        long start, end;
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) || suffix == 0 || size == 0)
            {
                throw Unsatisfiable(size);
            }

            start = Math.Max(size - suffix, 0);
            end = size - 1;
        }
        else
        {
            if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out start) || start >= size)
            {
                throw Unsatisfiable(size);
            }

            if (last.Length == 0)
            {
                end = size - 1;
            }
            else if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                throw Unsatisfiable(size);
            }

            end = Math.Min(end, size - 1);
        }

        return new ContentRange(start, end);
    }

    private static RegistryException Unsatisfiable(long size) =>
        RegistryException.Of(OciErrorCode.SizeInvalid, "requested range not satisfiable", "size", size.ToString(CultureInfo.InvariantCulture), 416)
            .WithHeader("Content-Range", $"bytes */{size}");
}
