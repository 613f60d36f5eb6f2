using System.Globalization;
using Registry.Errors;
using Registry.Oci;
using Registry.Services;

namespace Registry.Http.Handlers;

/// <summary>Manifest pull, push and delete.</summary>
public sealed class ManifestHandlers(ManifestService manifests, PushPipeline pushes, Signing.TrustPolicyService trust, Caching.PullThroughCache cache)
{
    /// <summary>
    /// end-3: GET/HEAD /v2/&lt;name&gt;/manifests/&lt;reference&gt; — the exact bytes pushed, when the Accept header
    /// allows their media type and the repository's trust policy lets it be pulled. A cache serves what it holds or
    /// fetches, with a <c>Warning</c> when the upstream could not confirm a tag.
    /// </summary>
    public async Task<HttpResult> GetManifestAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var (manifest, warning) = cache.Enabled
            ? await cache.GetManifestAsync(request.Name, request.Reference!.Value, cancellationToken)
            : new Caching.CachedManifest(await manifests.GetAsync(request.Name, request.Reference!.Value, cancellationToken), null);
        await trust.CheckPullAsync(request.Name, manifest, cancellationToken);
        if (!IsAcceptable(request.Http.Headers.Accept, manifest.MediaType))
        {
            throw RegistryException.Of(OciErrorCode.ManifestUnknown,
                $"the manifest is of type {manifest.MediaType}, which the Accept header does not allow", "mediaType", manifest.MediaType);
        }

        if (request.Http.Method == "GET")
        {
            await manifests.RecordPullAsync(request.Name, request.Reference.Value, manifest, request.Token?.Subject, cancellationToken);
        }

        var digest = manifest.Digest.ToString();
        var result = HttpResult.Empty(200)
            .WithBody(manifest.Content, manifest.MediaType)
            .WithHeader(OciHeaders.ContentDigest, digest)
            .WithHeader("ETag", $"\"{digest}\"");
        return warning is null ? result : result.WithHeader("Warning", warning);
    }

    /// <summary>end-7: PUT /v2/&lt;name&gt;/manifests/&lt;reference&gt; (also ?tag= for each extra tag of a push by digest).</summary>
    public async Task<HttpResult> PutManifestAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var extraTags = new List<Tag>();
        foreach (var value in request.Http.Query["tag"])
        {
            extraTags.Add(Tag.TryParse(value, out var tag)
                ? tag
                : throw RegistryException.Of(OciErrorCode.ManifestInvalid, "invalid tag", "tag", value ?? ""));
        }

        var body = await ReadManifestBodyAsync(request, cancellationToken);
        var manifest = await pushes.PushAsync(request.Name, request.Reference!.Value, body, request.Http.ContentType, extraTags, request.Token?.Subject, cancellationToken);
        var result = HttpResult.Empty(201)
            .WithHeader("Location", $"/v2/{request.Name}/manifests/{manifest.Digest}")
            .WithHeader(OciHeaders.ContentDigest, manifest.Digest.ToString());
        if (manifest.Subject is { } subject)
        {
            result.WithHeader(OciHeaders.Subject, subject.Digest);
        }

        return result;
    }

    /// <summary>end-9: DELETE /v2/&lt;name&gt;/manifests/&lt;reference&gt; — by digest the manifest, by tag that tag only.</summary>
    public async Task<HttpResult> DeleteManifestAsync(OciRequest request, CancellationToken cancellationToken)
    {
        await manifests.DeleteAsync(request.Name, request.Reference!.Value, request.Token?.Subject, cancellationToken);
        return HttpResult.Empty(202);
    }

    /// <summary>
    /// True when <paramref name="accept"/> is absent, names <paramref name="mediaType"/> or a wildcard, or names no
    /// manifest type at all (a client that does not negotiate). False when it lists manifest types, none of them this one.
    /// </summary>
    internal static bool IsAcceptable(IEnumerable<string?> accept, string mediaType)
    {
        var namesManifestType = false;
        foreach (var header in accept)
        {
            foreach (var part in (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var semicolon = part.IndexOf(';', StringComparison.Ordinal);
                var type = (semicolon < 0 ? part : part[..semicolon]).Trim();
                if (type == mediaType || type is "*/*" or "application/*")
                {
                    return true;
                }

                namesManifestType |= MediaTypes.Manifests.Contains(type) || MediaTypes.IsSchema1(type);
            }
        }

        return !namesManifestType;
    }

    private static async Task<ReadOnlyMemory<byte>> ReadManifestBodyAsync(OciRequest request, CancellationToken cancellationToken) =>
        await RequestBodies.ReadAtMostAsync(request.Http.Body, OciLimits.MaxManifestBytes, cancellationToken) ?? throw TooLarge();

    private static RegistryException TooLarge() =>
        RegistryException.Of(OciErrorCode.SizeInvalid, $"manifest is larger than {OciLimits.MaxManifestBytes} bytes",
            "limit", OciLimits.MaxManifestBytes.ToString(CultureInfo.InvariantCulture), 413);
}
