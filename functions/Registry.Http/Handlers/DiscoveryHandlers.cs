using System.Globalization;
using System.Text.Json.Serialization;
using Registry.Errors;
using Registry.Oci;
using Registry.Services;

namespace Registry.Http.Handlers;

/// <summary>Tag lists, the catalog and referrers.</summary>
public sealed class DiscoveryHandlers(DiscoveryService discovery, Caching.PullThroughCache cache)
{
    /// <summary>The body of a tag list.</summary>
    public sealed record TagList([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags);

    /// <summary>The body of the catalog.</summary>
    public sealed record Catalog([property: JsonPropertyName("repositories")] IReadOnlyList<string> Repositories);

    /// <summary>
    /// end-8a/end-8b: GET /v2/&lt;name&gt;/tags/list?n=&amp;last=, with a Link header when more follow. A cache lists the
    /// upstream's tags, or those it holds (with a <c>Warning</c>) when the upstream cannot answer.
    /// </summary>
    public async Task<HttpResult> ListTagsAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var (n, last) = ParsePaging(request);
        var (upstreamTags, warning) = cache.Enabled ? await cache.ListTagsAsync(request.Name, cancellationToken) : (null, null);
        var page = upstreamTags is not null
            ? await DiscoveryService.PageOfAsync(upstreamTags, n, last)
            : await discovery.ListTagsAsync(request.Name, n, last, cancellationToken);
        var result = WithLink(HttpResult.Json(200, new TagList(request.Name.Value, page.Items)), $"/v2/{request.Name}/tags/list", n, page);
        return warning is null ? result : result.WithHeader("Warning", warning);
    }

    /// <summary>GET /v2/_catalog?n=&amp;last=, with a Link header when more follow.</summary>
    public async Task<HttpResult> ListRepositoriesAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var (n, last) = ParsePaging(request);
        var page = await discovery.ListRepositoriesAsync(n, last, cancellationToken);
        return WithLink(HttpResult.Json(200, new Catalog(page.Items)), "/v2/_catalog", n, page);
    }

    /// <summary>end-12a/end-12b: GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;?artifactType= — always an image index.</summary>
    public async Task<HttpResult> ListReferrersAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var artifactType = request.Query("artifactType");
        var referrers = await discovery.ListReferrersAsync(request.Name, request.Digest!.Value, artifactType, cancellationToken);
        var index = new ImageIndex { SchemaVersion = 2, MediaType = MediaTypes.ImageIndex, Manifests = referrers };
        var result = HttpResult.Json(200, index, MediaTypes.ImageIndex);
        if (artifactType is not null)
        {
            result.WithHeader(OciHeaders.FiltersApplied, "artifactType");
        }

        return result;
    }

    private static (int? N, string? Last) ParsePaging(OciRequest request)
    {
        int? n = null;
        if (request.Query("n") is { } text)
        {
            n = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw RegistryException.Of(OciErrorCode.Unsupported, "n must be a non-negative integer", "n", text.Length > 20 ? text[..20] : text, 400);
        }

        var last = request.Query("last");
        if (last is { Length: > RepositoryName.MaxLength })
        {
            throw RegistryException.Of(OciErrorCode.Unsupported, "last is too long", "last", last[..20], 400);
        }

        return (n, last);
    }

    private static HttpResult WithLink(HttpResult result, string path, int? n, DiscoveryService.Page page)
    {
        if (page.HasMore && n is { } size && page.Items.Count > 0)
        {
            var next = $"{path}?n={size}&last={Uri.EscapeDataString(page.Items[^1])}";
            result.WithHeader("Link", $"<{next}>; rel=\"next\"");
        }

        return result;
    }
}
