using Registry.Scanning;

namespace Registry.Services;

/// <summary>The source repository's promotion policies, for the tags a push set.</summary>
public sealed class PromotionStep(PromotionService promotions) : IAfterPushStep
{
    public string Name => "promotion";

    public Task<IReadOnlyList<ManifestPush>> RunAsync(ManifestPush push, CancellationToken cancellationToken) =>
        promotions.OnPushAsync(push, cancellationToken);
}

/// <summary>With scanOnPush, the image's scan is queued.</summary>
public sealed class ScanOnPushStep(ScanQueue scans) : IAfterPushStep
{
    public string Name => "scan on push";

    public async Task<IReadOnlyList<ManifestPush>> RunAsync(ManifestPush push, CancellationToken cancellationToken)
    {
        await scans.OnPushAsync(push, cancellationToken);
        return [];
    }
}

/// <summary>Counts the push in the repository's <c>pushes</c> (in memory; flushed by a timer).</summary>
public sealed class CountStep(RepositoryCounters counters) : IAfterPushStep
{
    public string Name => "counts";

    public Task<IReadOnlyList<ManifestPush>> RunAsync(ManifestPush push, CancellationToken cancellationToken)
    {
        counters.CountPush(push.Repository);
        return Task.FromResult<IReadOnlyList<ManifestPush>>([]);
    }
}

/// <summary>
/// MANIFEST_PUSH for the manifest, TAG_PUSH for each tag the push set (with <c>previousDigest</c> when it moved the
/// tag), and PROMOTION, in the source repository, for a promotion's push; each only when someone takes it.
/// </summary>
public sealed class EventStep(Events.EventService events) : IAfterPushStep
{
    public string Name => "events";

    public async Task<IReadOnlyList<ManifestPush>> RunAsync(ManifestPush push, CancellationToken cancellationToken)
    {
        var digest = push.Manifest.Digest;
        var raised = new List<Events.RegistryEvent>();
        if (await events.WantsAsync(Events.EventTypes.ManifestPush, push.Repository.Value, cancellationToken))
        {
            raised.Add(await events.ImageEventAsync(Events.EventTypes.ManifestPush, push.Repository, null, digest, push.Manifest, push.Author, "pushedAt",
                digest.ToString(), cancellationToken));
        }

        foreach (var tag in push.Tags.Count > 0 && await events.WantsAsync(Events.EventTypes.TagPush, push.Repository.Value, cancellationToken) ? push.Tags : [])
        {
            // a client's retry of the same push raises the same id; a move back to a digest (A, B, A) does not
            var previous = push.MovedFrom.GetValueOrDefault(tag);
            var tagPush = await events.ImageEventAsync(Events.EventTypes.TagPush, push.Repository, tag, digest, push.Manifest, push.Author,
                "pushedAt", $"{tag}\n{digest}\n{previous}", cancellationToken);
            if (previous is not null)
            {
                tagPush.Contents["previousDigest"] = previous;
            }

            raised.Add(tagPush);
        }

        if (push.PromotedFrom is { } origin && push.Tags.Count > 0
            && await events.WantsAsync(Events.EventTypes.Promotion, origin.Source.Value, cancellationToken))
        {
            var promotion = await events.ImageEventAsync(Events.EventTypes.Promotion, origin.Source, origin.SourceTag, digest, push.Manifest, push.Author,
                "promotedAt", $"{push.Repository}:{push.Tags[0]}\n{digest}\n{origin.Policy}", cancellationToken);
            promotion.Contents["targetRepository"] = push.Repository.Value;
            promotion.Contents["targetTag"] = push.Tags[0].Value;
            promotion.Contents["promotionPolicy"] = origin.Policy;
            raised.Add(promotion);
        }

        await events.RaiseAsync(raised, cancellationToken);
        return [];
    }
}

/// <summary>The repository's signing policies, for the tags a push (or a promotion into it) set: signing is queued.</summary>
public sealed class SigningStep(Signing.SigningPolicyService policies) : IAfterPushStep
{
    public string Name => "signing";

    public async Task<IReadOnlyList<ManifestPush>> RunAsync(ManifestPush push, CancellationToken cancellationToken)
    {
        await policies.OnPushAsync(push, cancellationToken);
        return [];
    }
}

/// <summary>The repository's push mirroring policies, for the tags a push (or a promotion or poll into it) set: a push to the remote is queued.</summary>
public sealed class MirroringStep(Mirroring.MirroringPolicyService policies) : IAfterPushStep
{
    public string Name => "mirroring";

    public async Task<IReadOnlyList<ManifestPush>> RunAsync(ManifestPush push, CancellationToken cancellationToken)
    {
        await policies.OnPushAsync(push, cancellationToken);
        return [];
    }
}
