using System.Text.Json;
using Registry.Errors;
using Registry.Oci;
using Registry.Stores;
using Registry.Records;

namespace Registry.Services;

/// <summary>
/// The manifests of one repository and what reaches what: the children of an index and the referrers of a manifest
/// (its signatures and SBOMs), transitively. Garbage collection keeps what the tags reach; a delete by digest refuses
/// what an immutable tag reaches. Read from Table Storage (manifests are inline in their rows up to 60 KiB).
/// </summary>
public sealed class ManifestGraph
{
    private readonly ILookup<string, string> _referrers;

    private ManifestGraph(Dictionary<string, (ManifestRecord Row, ParsedManifest? Parsed)> manifests)
    {
        Manifests = manifests;
        _referrers = manifests.Values
            .Where(m => m.Row.Subject is not null)
            .ToLookup(m => m.Row.Subject!, m => m.Row.Digest, StringComparer.Ordinal);
    }

    /// <summary>Every manifest row by digest, with its parsed content (null when it cannot be read).</summary>
    public IReadOnlyDictionary<string, (ManifestRecord Row, ParsedManifest? Parsed)> Manifests { get; }

    /// <summary>Reads the manifests of a repository.</summary>
    public static async Task<ManifestGraph> LoadAsync(IMetadataStore metadata, IContentStore content, RepositoryName name, CancellationToken cancellationToken)
    {
        var manifests = new Dictionary<string, (ManifestRecord Row, ParsedManifest? Parsed)>(StringComparer.Ordinal);
        foreach (var row in await metadata.ListManifestRecordsAsync(name, cancellationToken))
        {
            manifests[row.Digest] = (row, await ParseOrNullAsync(content, row, cancellationToken));
        }

        return new ManifestGraph(manifests);
    }

    /// <summary>The digests reachable from <paramref name="roots"/>, the roots included.</summary>
    public HashSet<string> Reach(IEnumerable<string> roots)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(roots);
        while (pending.TryPop(out var digest))
        {
            if (!reached.Add(digest))
            {
                continue;
            }

            if (Manifests.TryGetValue(digest, out var manifest) && manifest.Parsed is { } parsed)
            {
                foreach (var child in parsed.Manifests)
                {
                    pending.Push(child.Digest);
                }
            }

            foreach (var referrer in _referrers[digest])
            {
                pending.Push(referrer);
            }
        }

        return reached;
    }

    /// <summary>The manifest of a row: inline bytes, or the content blob for a large one. Null when unreadable.</summary>
    private static async Task<ParsedManifest?> ParseOrNullAsync(IContentStore content, ManifestRecord row, CancellationToken cancellationToken)
    {
        if (!Digest.TryParse(row.Digest, out var digest))
        {
            return null;
        }

        try
        {
            var bytes = row.Content ?? await content.ReadAllOrNullAsync(digest, cancellationToken);
            return bytes is null ? null : ManifestParser.Parse(bytes, row.MediaType) with { Digest = digest };
        }
        catch (Exception e) when (e is RegistryException or JsonException)
        {
            return null;
        }
    }
}
