using Registry.Auth;
using Registry.Errors;
using Registry.Oci;
using Registry.Records;
using Registry.Services;
using Registry.Stores;

namespace Registry.Dtr;

/// <summary>
/// DTR's tags and manifests of a repository: tags with their manifests (platform, config, the history as DTR's
/// dockerfile lines), one tag's images per platform, the manifests of a repository, and deletions.
/// </summary>
public sealed class ImageApiService(
    RepositoryApiService repositories, ScanApiService scanning, IMetadataStore metadata, ManifestService manifests, ImageConfigReader configs, TagService tags,
    Signing.TrustPolicyService trust, Trust.TrustDataService notary)
{
    /// <summary>
    /// A page of tags in name order. Each tag's manifest is its digest alone unless <paramref name="includeManifests"/>,
    /// as in DTR (a full manifest costs a manifest and a config read per tag).
    /// </summary>
    public async Task<(IReadOnlyList<TagView> Tags, string? Next)> ListTagsAsync(
        Principal principal, string ns, string repo, string? pageStart, int pageSize, bool includeManifests, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var page = await metadata.ListTagRecordsAsync(name, pageStart, pageSize + 1, cancellationToken);
        var views = new List<TagView>();
        var marks = await TrustMarksAsync(name, page.Take(pageSize), cancellationToken);
        foreach (var tag in page.Take(pageSize))
        {
            var manifest = includeManifests && Digest.TryParse(tag.Digest, out var digest)
                ? await ManifestViewOrNullAsync(name, digest, cancellationToken) ?? new ManifestView(tag.Digest)
                : new ManifestView(tag.Digest);
            views.Add(marks.View(tag, manifest));
        }

        return (views, page.Count > pageSize ? page[pageSize].Name : null);
    }

    /// <summary>
    /// DTR's tag lookup: by tag, that tag; by digest, every tag naming it. A tag of an index is answered once per
    /// image of the index (narrowed by <paramref name="os"/> and <paramref name="arch"/>), each with that image's manifest,
    /// its older scan summary (<c>vuln_summary</c>) and, once scanned, its <c>components</c> and <c>licenses</c>.
    /// </summary>
    public async Task<IReadOnlyList<TagView>> GetTagAsync(
        Principal principal, string ns, string repo, string reference, string? os, string? arch, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var found = new List<TagRecord>();
        if (Digest.TryParse(reference, out var byDigest))
        {
            found.AddRange((await metadata.ListTagRecordsAsync(name, cancellationToken)).Where(t => t.Digest == byDigest.ToString()));
        }
        else if (Tag.TryParse(reference, out var tag) && await metadata.GetTagRecordOrNullAsync(name, tag, cancellationToken) is { } record)
        {
            found.Add(record);
        }

        if (found.Count == 0)
        {
            throw new DtrException(DtrError.NoSuchRef, $"no tag {reference} in {name}");
        }

        var marks = await TrustMarksAsync(name, found, cancellationToken);
        var views = new List<TagView>();
        foreach (var tag in found)
        {
            if (!Digest.TryParse(tag.Digest, out var digest) || await ParsedOrNullAsync(name, digest, cancellationToken) is not { } parsed)
            {
                continue;
            }

            var images = MediaTypes.IsIndex(parsed.MediaType)
                ? parsed.Manifests.Where(m => Matches(m, os, arch)).Select(m => Digest.TryParse(m.Digest, out var child) ? child : (Digest?)null).OfType<Digest>().ToList()
                : [digest];
            foreach (var image in images)
            {
                if (await ManifestViewOrNullAsync(name, image, cancellationToken) is { } manifest
                    && (MediaTypes.IsIndex(parsed.MediaType) || Matches(manifest, os, arch)))
                {
                    var summary = (await scanning.GetLegacySummaryAsync(principal, ns, repo, image.ToString(), detailed: false, cancellationToken)).FirstOrDefault();
                    var scanned = (await scanning.GetSummaryAsync(principal, ns, repo, image.ToString(), null, null, cancellationToken)).FirstOrDefault()?.ScannedImage;
                    views.Add(marks.View(tag, manifest) with
                    {
                        VulnSummary = summary is null ? null : summary with { Tag = tag.Name }, Components = scanned?.Components, Licenses = scanned?.Licenses,
                    });
                }
            }
        }

        return views;
    }

    /// <summary>The manifests of a repository in digest order, paged by digest.</summary>
    public async Task<(IReadOnlyList<ManifestView> Manifests, string? Next)> ListManifestsAsync(
        Principal principal, string ns, string repo, string? pageStart, int pageSize, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var (rows, next) = Paging.Page(await metadata.ListManifestRecordsAsync(name, cancellationToken), m => m.Digest, pageStart, pageSize);
        var views = new List<ManifestView>();
        foreach (var row in rows)
        {
            if (Digest.TryParse(row.Digest, out var digest) && await ManifestViewOrNullAsync(name, digest, cancellationToken) is { } view)
            {
                views.Add(view);
            }
        }

        return (views, next);
    }

    /// <summary>Deletes a tag (read-write).</summary>
    public async Task DeleteTagAsync(Principal principal, string ns, string repo, string tag, CancellationToken cancellationToken = default)
    {
        var (name, settings) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadWrite, cancellationToken);
        var result = Tag.TryParse(tag, out var parsed) ? await tags.DeleteAsync(name, settings, parsed, principal.Name, cancellationToken) : TagWriteResult.NotFound;
        switch (result)
        {
            case TagWriteResult.NotFound:
                throw new DtrException(DtrError.NoSuchTag, $"no tag {tag} in {name}");
            case TagWriteResult.Immutable:
                throw new DtrException(DtrError.TagImmutable, $"tag={tag} cannot be deleted because {name} is an immutable repository or the tag matches an immutability rule");
            case TagWriteResult.InNotary:
                throw new DtrException(DtrError.TagInNotary, $"tag={tag} of {name} is signed in Notary; remove its trust data first (notary remove, docker trust revoke)");
        }
    }

    /// <summary>
    /// DTR's deprecated manifest deletion (read-write): by tag, the tag; by digest, the manifest and every tag naming
    /// it, refused whole while one of them is immutable or signed in Notary.
    /// </summary>
    public async Task DeleteManifestAsync(Principal principal, string ns, string repo, string reference, CancellationToken cancellationToken = default)
    {
        if (!Digest.TryParse(reference, out var digest))
        {
            if (reference.StartsWith("sha256:", StringComparison.Ordinal) || reference.StartsWith("sha512:", StringComparison.Ordinal))
            {
                throw new DtrException(DtrError.InvalidDigest, $"{reference} is not a valid digest");
            }

            await DeleteTagAsync(principal, ns, repo, reference, cancellationToken);
            return;
        }

        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadWrite, cancellationToken);
        try
        {
            await manifests.DeleteAsync(name, new ManifestReference(null, digest), principal.Name, cancellationToken);
        }
        catch (RegistryException e) when (e.Code == OciErrorCode.ManifestUnknown)
        {
            throw new DtrException(DtrError.NoSuchRef, $"no manifest {digest} in {name}");
        }
        catch (RegistryException e) when (e.Code == OciErrorCode.Denied)
        {
            throw new DtrException(e.Message.StartsWith("TAG_IN_NOTARY", StringComparison.Ordinal) ? DtrError.TagInNotary : DtrError.TagImmutable, e.Message);
        }
    }

    /// <summary>
    /// DTR's manifest: for an image, its platform and author from the config, its size (config and layers), and its
    /// history as dockerfile lines, each non-empty step holding the next layer; for an index, its digest, media type and size.
    /// </summary>
    private async Task<ManifestView?> ManifestViewOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken)
    {
        var row = await metadata.GetManifestOrNullAsync(name, digest, cancellationToken);
        if (row is null || await ParsedOrNullAsync(name, digest, cancellationToken) is not { } parsed)
        {
            return null;
        }

        if (MediaTypes.IsIndex(parsed.MediaType))
        {
            return new ManifestView(row.Digest) { MediaType = row.MediaType, Size = row.Size, CreatedAt = row.PushedAt };
        }

        var config = await configs.ReadOrNullAsync(parsed, cancellationToken);
        var layers = parsed.Blobs.Skip(1).ToList();
        return new ManifestView(row.Digest)
        {
            MediaType = row.MediaType,
            Size = parsed.Blobs.Sum(b => b.Size),
            Os = config?.Os ?? "",
            OsVersion = config?.OsVersion ?? "",
            Architecture = config?.Architecture ?? "",
            Author = config?.Author ?? "",
            CreatedAt = config?.Created ?? row.PushedAt,
            ConfigDigest = parsed.Blobs.Count > 0 ? parsed.Blobs[0].Digest : "",
            ConfigMediaType = parsed.Blobs.Count > 0 ? parsed.Blobs[0].MediaType : "",
            Dockerfile = DockerfileLines(config?.History ?? [], layers),
        };
    }

    /// <summary>The history's steps with the layers they made, in order; layers beyond the history get an empty line.</summary>
    internal static IReadOnlyList<DockerfileLineView> DockerfileLines(IReadOnlyList<ImageHistoryStep> history, IReadOnlyList<Descriptor> layers)
    {
        var lines = new List<DockerfileLineView>();
        var next = 0;
        foreach (var step in history)
        {
            if (step.EmptyLayer || next >= layers.Count)
            {
                lines.Add(new DockerfileLineView(step.CreatedBy, "", 0, true, "", null));
                continue;
            }

            var layer = layers[next++];
            lines.Add(new DockerfileLineView(step.CreatedBy, layer.Digest, layer.Size, false, layer.MediaType, layer.Urls));
        }

        lines.AddRange(layers.Skip(next).Select(l => new DockerfileLineView("", l.Digest, l.Size, false, l.MediaType, l.Urls)));
        return lines;
    }

    private async Task<ParsedManifest?> ParsedOrNullAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken)
    {
        try
        {
            var stored = await manifests.GetAsync(name, new ManifestReference(null, digest), cancellationToken);
            return ManifestParser.Parse(stored.Content, stored.MediaType);
        }
        catch (RegistryException e) when (e.Code is OciErrorCode.ManifestUnknown or OciErrorCode.ManifestInvalid)
        {
            return null;   // deleted meanwhile
        }
    }

    private static bool Matches(Descriptor child, string? os, string? arch) =>
        (os is null || PlatformField(child, "os") == os) && (arch is null || PlatformField(child, "architecture") == arch);

    private static bool Matches(ManifestView image, string? os, string? arch) =>
        (os is null || image.Os == os) && (arch is null || image.Architecture == arch);

    private static string PlatformField(Descriptor child, string field) =>
        child.Platform is { ValueKind: System.Text.Json.JsonValueKind.Object } p && p.TryGetProperty(field, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String
            ? v.GetString()!
            : "";

    /// <summary>What signs the tags' digests (registry signatures, Notary), read once per digest.</summary>
    private async Task<TrustMarks> TrustMarksAsync(RepositoryName name, IEnumerable<TagRecord> page, CancellationToken cancellationToken)
    {
        var signers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var digest in page.Select(t => t.Digest).Distinct())
        {
            signers[digest] = Digest.TryParse(digest, out var parsed)
                ? (await trust.CheckSignaturesAsync(name, parsed, cancellationToken)).Where(c => c.Valid).Select(c => c.Identity ?? "").Distinct().ToList()
                : [];
        }

        return new TrustMarks(signers, await notary.ListSignedTagsAsync(name, cancellationToken));
    }

    /// <summary>The signatures of a page's digests and the tags Notary names, with the digests it names for each.</summary>
    private sealed record TrustMarks(
        IReadOnlyDictionary<string, IReadOnlyList<string>> Signers, IReadOnlyDictionary<string, IReadOnlyList<Trust.SignedTarget>> Notarized)
    {
        /// <summary>DTR: a tag is in Notary when targets or targets/releases names it; hashMismatch when none names its digest now.</summary>
        public TagView View(TagRecord tag, ManifestView manifest)
        {
            var inNotary = Notarized.TryGetValue(tag.Name, out var targets);
            var mismatch = inNotary && !targets!.Any(n => $"sha256:{n.Sha256Hex}" == tag.Digest);
            var signers = Signers.TryGetValue(tag.Digest, out var s) ? s : [];
            return new TagView(tag.Name, tag.Digest, tag.Author, tag.CreatedAt, tag.UpdatedAt, inNotary, mismatch, manifest, signers.Count > 0, signers)
            {
                Promotion = tag.Origin is { Kind: TagOrigin.Promotion } p ? new TagPromotionView(p.Policy, p.Repository, p.Tag, p.Digest) : null,
                Mirroring = tag.Origin is { Kind: TagOrigin.Mirroring } m ? new MirroringView(m.Policy, m.Digest, m.Repository, m.Tag) : null,
            };
        }
    }
}
