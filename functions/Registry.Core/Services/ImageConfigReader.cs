using Registry.Oci;
using Registry.Stores;

namespace Registry.Services;

/// <summary>Reads the config of an image manifest from the content store (one small blob read).</summary>
public sealed class ImageConfigReader(IContentStore content)
{
    /// <summary>The image's config; null for an index, a config above <see cref="ImageConfig.MaxSize"/>, or one missing or unreadable.</summary>
    public async Task<ImageConfig?> ReadOrNullAsync(ParsedManifest manifest, CancellationToken cancellationToken = default)
    {
        if (MediaTypes.IsIndex(manifest.MediaType) || manifest.Manifests.Count > 0 || manifest.Blobs.Count == 0
            || !Digest.TryParse(manifest.Blobs[0].Digest, out var config) || manifest.Blobs[0].Size > ImageConfig.MaxSize)
        {
            return null;
        }

        return await content.ReadAllOrNullAsync(config, cancellationToken) is { } bytes ? ImageConfig.ParseOrNull(bytes) : null;
    }
}
