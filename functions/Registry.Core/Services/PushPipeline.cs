using Microsoft.Extensions.Logging;
using Registry.Oci;
using Registry.Records;

namespace Registry.Services;

/// <summary>
/// A manifest just written (by a client, a promotion or an evaluation) and the tags the write set: what after-push
/// steps act on. <paramref name="Chain"/>: how many promotions led to it (0 for a client's push).
/// </summary>
public sealed record ManifestPush(RepositoryName Repository, RepositoryRecord? Settings, ParsedManifest Manifest, IReadOnlyList<Tag> Tags, int Chain = 0)
{
    /// <summary>Who pushed (the token's subject), when a client did.</summary>
    public string? Author { get; init; }

    /// <summary>The tags that named another manifest before the push, with the digest each named.</summary>
    public IReadOnlyDictionary<Tag, string> MovedFrom { get; init; } = new Dictionary<Tag, string>();

    /// <summary>For a promotion's push: the source image and the policy (its id, or <c>manual</c>).</summary>
    public PromotionOrigin? PromotedFrom { get; init; }
}

/// <summary>Where a promoted image came from.</summary>
public sealed record PromotionOrigin(RepositoryName Source, Tag SourceTag, string Policy)
{
    public const string Manual = "manual";
}

/// <summary>Something that follows a manifest push; it returns the pushes it made itself (a promotion's), which get the steps in turn.</summary>
public interface IAfterPushStep
{
    /// <summary>What the log calls the step.</summary>
    string Name { get; }

    Task<IReadOnlyList<ManifestPush>> RunAsync(ManifestPush push, CancellationToken cancellationToken);
}

/// <summary>
/// A manifest push: the writer (<see cref="ManifestService"/>: checks, content, rows, tags, no side effects), then the
/// after-push steps in their registered order (promotion, scan on push, signing, mirroring, counts, events). Each step runs isolated: its failure is
/// logged and neither fails the push nor skips the other steps. The pushes a step makes (promotions into other
/// repositories) get the steps too, after the ones before them.
/// </summary>
public sealed partial class PushPipeline(ManifestService manifests, IEnumerable<IAfterPushStep> steps, ILogger<PushPipeline> logger)
{
    private readonly IReadOnlyList<IAfterPushStep> _steps = steps.ToList();

    /// <summary>Writes a manifest as a client (<paramref name="author"/>, when known) pushes it, then runs the after-push steps.</summary>
    public async Task<ParsedManifest> PushAsync(
        RepositoryName name, ManifestReference reference, ReadOnlyMemory<byte> body, string? contentType, IReadOnlyList<Tag> extraTags, string? author,
        CancellationToken cancellationToken = default)
    {
        var push = await manifests.PutAsync(name, reference, body, contentType, extraTags, author, null, cancellationToken);
        await RunStepsAsync([push], cancellationToken);
        return push.Manifest;
    }

    /// <summary>Runs the after-push steps on <paramref name="pushes"/> and on every push the steps make, in order.</summary>
    public async Task RunStepsAsync(IReadOnlyList<ManifestPush> pushes, CancellationToken cancellationToken = default)
    {
        var pending = new Queue<ManifestPush>(pushes);
        while (pending.TryDequeue(out var push))
        {
            foreach (var step in _steps)
            {
                try
                {
                    foreach (var made in await step.RunAsync(push, cancellationToken))
                    {
                        pending.Enqueue(made);
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    LogStepFailed(logger, e, step.Name, push.Repository.Value, push.Manifest.Digest.ToString());
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "After the push of {Repository}@{Digest}, {Step} failed; the push stands")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string step, string repository, string digest);
}
