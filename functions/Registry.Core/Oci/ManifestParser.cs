using System.Text.Json;
using Registry.Errors;

namespace Registry.Oci;

/// <summary>
/// Checks a pushed manifest: size, JSON, media type (Content-Type against the body's mediaType), schema version
/// and every descriptor. Schema 1 is refused. The bytes themselves are never rewritten.
/// </summary>
public static class ManifestParser
{
    private static readonly JsonSerializerOptions Strict = new()
    {
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Parses <paramref name="content"/> sent with <paramref name="contentType"/> (may be null).</summary>
    public static ParsedManifest Parse(ReadOnlyMemory<byte> content, string? contentType)
    {
        if (content.Length > OciLimits.MaxManifestBytes)
        {
            throw RegistryException.Of(OciErrorCode.SizeInvalid, $"manifest is larger than {OciLimits.MaxManifestBytes} bytes",
                "limit", OciLimits.MaxManifestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), 413);
        }

        var bodyMediaType = ReadMediaType(content);
        var headerType = StripParameters(contentType);
        var mediaType = ResolveMediaType(headerType, bodyMediaType);
        var digest = Digest.ComputeSha256(content.Span);

        return MediaTypes.IsIndex(mediaType)
            ? FromIndex(Deserialize<ImageIndex>(content), mediaType, digest, content.Length)
            : FromImage(Deserialize<ImageManifest>(content), mediaType, digest, content.Length);
    }

    private static string ResolveMediaType(string? headerType, string? bodyMediaType)
    {
        foreach (var candidate in new[] { headerType, bodyMediaType })
        {
            if (candidate is not null && MediaTypes.IsSchema1(candidate))
            {
                throw Invalid("Docker image manifest schema 1 is not supported; push schema 2 or OCI", candidate);
            }
        }

        var headerIsManifest = headerType is not null && MediaTypes.Manifests.Contains(headerType);
        if (headerType is not null && bodyMediaType is not null && bodyMediaType != headerType)
        {
            throw Invalid($"Content-Type '{headerType}' does not match the manifest's mediaType", bodyMediaType);
        }

        var mediaType = headerIsManifest ? headerType : bodyMediaType;
        if (mediaType is null || !MediaTypes.Manifests.Contains(mediaType))
        {
            throw Invalid("unsupported manifest media type", mediaType ?? headerType ?? "none");
        }

        return mediaType;
    }

    private static ParsedManifest FromImage(ImageManifest manifest, string mediaType, Digest digest, long size)
    {
        if (MediaTypes.IsIndex(manifest.MediaType ?? mediaType))
        {
            throw Invalid("an image manifest cannot carry an index media type", mediaType);
        }

        CheckSchemaVersion(manifest.SchemaVersion);
        var blobs = new List<Descriptor> { Check(manifest.Config, "config") };
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            blobs.Add(Check(manifest.Layers[i], $"layers[{i}]"));
        }

        var subject = manifest.Subject is null ? null : Check(manifest.Subject, "subject");
        var artifactType = manifest.ArtifactType;
        if (artifactType is null && manifest.Config.MediaType != MediaTypes.ImageConfig && mediaType == MediaTypes.ImageManifest)
        {
            // image-spec manifest.md: without artifactType, the config's mediaType names the artifact.
            artifactType = manifest.Config.MediaType;
        }

        return new ParsedManifest(mediaType, digest, size, blobs, [], subject, artifactType, manifest.Annotations);
    }

    private static ParsedManifest FromIndex(ImageIndex index, string mediaType, Digest digest, long size)
    {
        CheckSchemaVersion(index.SchemaVersion);
        var children = new List<Descriptor>();
        for (var i = 0; i < index.Manifests.Count; i++)
        {
            children.Add(Check(index.Manifests[i], $"manifests[{i}]"));
        }

        var subject = index.Subject is null ? null : Check(index.Subject, "subject");
        return new ParsedManifest(mediaType, digest, size, [], children, subject, index.ArtifactType, index.Annotations);
    }

    private static Descriptor Check(Descriptor descriptor, string where)
    {
        if (!Digest.TryParse(descriptor.Digest, out _))
        {
            throw Invalid($"{where}: invalid digest", descriptor.Digest);
        }

        if (descriptor.Size < 0)
        {
            throw Invalid($"{where}: negative size", descriptor.Digest);
        }

        if (string.IsNullOrWhiteSpace(descriptor.MediaType))
        {
            throw Invalid($"{where}: missing mediaType", descriptor.Digest);
        }

        return descriptor;
    }

    private static void CheckSchemaVersion(int schemaVersion)
    {
        if (schemaVersion != 2)
        {
            throw Invalid("schemaVersion must be 2", schemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static T Deserialize<T>(ReadOnlyMemory<byte> content)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(content.Span, Strict) ?? throw Invalid("manifest is null", "null");
        }
        catch (JsonException e)
        {
            throw Invalid("manifest is not valid JSON of its media type", e.Path ?? "$");
        }
    }

    private static string? ReadMediaType(ReadOnlyMemory<byte> content)
    {
        try
        {
            using var document = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("manifest must be a JSON object", document.RootElement.ValueKind.ToString());
            }

            return document.RootElement.TryGetProperty("mediaType", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            throw Invalid("manifest is not valid JSON", "body");
        }
    }

    private static string? StripParameters(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }

    private static RegistryException Invalid(string message, string value) =>
        RegistryException.Of(OciErrorCode.ManifestInvalid, message, "reason", value);
}
