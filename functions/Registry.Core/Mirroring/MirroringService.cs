using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Caching;
using Registry.Errors;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Services;
using Registry.Stores;

namespace Registry.Mirroring;

/// <summary>
/// A repository of another registry, as DTR's mirroring names it: the registry's address, the repository, and the
/// account and TLS trust to reach it with.
/// </summary>
public sealed record RemoteRepository(Uri Host, RepositoryName Repository, string? Username, string? Password, string? CaPem, bool SkipTlsVerification);

/// <summary>What a push to a remote wrote: the digest the remote tag now names.</summary>
public sealed record MirrorResult(Digest Digest, RepositoryName RemoteRepository, Tag RemoteTag);

/// <summary>What another registry lets an account do with a repository, and whether it is a DTR (it has /api/v0).</summary>
public sealed record RemoteCheck(bool IsDtr, bool Read, bool Write);

/// <summary>What a poll brought in: the tags it pointed at the remote's images, and those it could not (with why).</summary>
public sealed record PollResult(IReadOnlyList<string> Mirrored, IReadOnlyList<string> Failed);

/// <summary>
/// Mirroring between this registry and others, as DTR does it. A push (<c>pushMirroring</c> by hand, or a push policy's
/// job) sends a tag's image blob by blob (only those the remote lacks) then its manifest, an index's images before the
/// index, so the remote never names content it does not hold. A poll (a poll policy's job) brings each remote tag whose
/// image differs from the local tag's: blobs (fetched, checked against their digests), then manifests, written as a
/// client's push is, so the repository's own rules (immutable tags, the tag limit) and after-push steps apply. Remotes
/// are reached as <see cref="RemoteConnections"/> allows. A read-only registry (DTR's setting) polls nothing.
/// </summary>
public sealed partial class MirroringService(
    ManifestService manifests, PushPipeline pipeline, IContentStore content, IMetadataStore metadata, MirroringPolicyService policies,
    RegistrySettingsService settings, Events.EventService events, IOptions<MirroringOptions> options, TimeProvider time, ILogger<MirroringService> logger)
{
    /// <summary>Who a poll policy's writes are by, as a tag's author and in events.</summary>
    public const string PollAuthor = "poll-mirroring";

    /// <summary>The policy a push asked for by hand names in its PUSH_MIRRORING event.</summary>
    public const string ManualPolicy = "manual";

    /// <summary>Pushes what <paramref name="tag"/> names in <paramref name="source"/> to the remote under <paramref name="remoteTag"/>.</summary>
    public async Task<MirrorResult> PushTagAsync(RepositoryName source, Tag tag, RemoteRepository remote, Tag remoteTag, CancellationToken cancellationToken = default) =>
        await PushAsync(source, tag, new ManifestReference(tag, null), remote, remoteTag, ManualPolicy, cancellationToken);

    /// <summary>DTR's remote registry check: whether the account may read and push, and whether the remote is a DTR.</summary>
    public async Task<RemoteCheck> CheckAsync(RemoteRepository remote, CancellationToken cancellationToken = default)
    {
        using var client = Client(remote);
        var api = await client.GetStatusAsync("/api/v0/meta/features", cancellationToken);
        var read = await client.CanReadAsync(remote.Repository, cancellationToken);
        var write = await client.CanWriteAsync(remote.Repository, cancellationToken);
        return new RemoteCheck(api is HttpStatusCode.OK or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, read, write);
    }

    /// <summary>
    /// Runs a job from the mirroring queue. A policy deleted or switched off since has nothing to do. The outcome is
    /// recorded on the policy; a failure at the remote is thrown again, so that the queue tries the job again. A poll
    /// whose tags this registry refused (an immutable tag moved at the remote) is recorded FAILED, naming them.
    /// </summary>
    public async Task RunAsync(MirrorJob job, CancellationToken cancellationToken = default)
    {
        if (!RepositoryName.TryParse(job.Repository, out var name) || await policies.GetOrNullAsync(name, job.Policy, cancellationToken) is not { Enabled: true } policy)
        {
            return;
        }

        try
        {
            var remote = await policies.RemoteOfAsync(policy, cancellationToken);
            if (policy.Direction == MirroringPolicy.Poll)
            {
                if ((await settings.GetAsync(cancellationToken)).ReadOnlyRegistry)
                {
                    await policies.RecordAsync(policy, false, false, "the registry is read-only", cancellationToken);
                    return;
                }

                var result = await PollAsync(name, remote, policy.Id, cancellationToken);
                var detail = result.Failed.Count == 0 ? $"{result.Mirrored.Count} tags mirrored" : $"not mirrored: {string.Join("; ", result.Failed)}";
                await policies.RecordAsync(policy, result.Failed.Count == 0, result.Mirrored.Count > 0, detail, cancellationToken);
                return;
            }

            if (!Digest.TryParse(job.Digest, out var digest) || !Tag.TryParse(job.RemoteTag, out var remoteTag))
            {
                return;
            }

            var pushed = await PushAsync(name, Tag.TryParse(job.Tag, out var tag) ? tag : remoteTag, new ManifestReference(null, digest), remote, remoteTag, policy.Id,
                cancellationToken);
            await policies.RecordAsync(policy, true, true, $"{job.Tag} pushed as {pushed.RemoteRepository}:{pushed.RemoteTag}", cancellationToken);
        }
        catch (Exception e) when (e is UpstreamUnavailableException or RegistryException or HttpRequestException or System.Security.Cryptography.CryptographicException)
        {
            LogFailed(logger, policy.Direction, policy.Id, name.Value, e.Message);
            await policies.RecordAsync(policy, false, false, e.Message, cancellationToken);
            if (e is UpstreamUnavailableException or HttpRequestException)
            {
                throw;   // the remote or the network: the queue tries again
            }

            // this registry's refusal (the image is gone since the push) or a password that no longer unseals: trying
            // again would not change it
        }
    }

    /// <summary>
    /// Brings every tag of the remote repository whose image differs from the local tag's into <paramref name="local"/>.
    /// One tag's failure (an immutable local tag, a manifest the registry refuses) leaves the others to go on.
    /// </summary>
    public async Task<PollResult> PollAsync(RepositoryName local, RemoteRepository remote, string policy, CancellationToken cancellationToken = default)
    {
        using var client = Client(remote);
        var tags = await client.ListTagsAsync(remote.Repository, cancellationToken)
            ?? throw new UpstreamUnavailableException($"{remote.Host} has no repository {remote.Repository}", null) { Refused = true };
        List<string> mirrored = [], failed = [];
        foreach (var name in tags)
        {
            if (!Tag.TryParse(name, out var tag))
            {
                continue;
            }

            var (found, digest) = await client.HeadManifestAsync(remote.Repository, new ManifestReference(tag, null), cancellationToken);
            if (!found || (digest is { } known && await metadata.GetTagOrNullAsync(local, tag, cancellationToken) == known))
            {
                continue;
            }

            try
            {
                var pushes = new List<ManifestPush>();
                await PullAsync(client, remote.Repository, local, new ManifestReference(tag, null), new TagOrigin(TagOrigin.Mirroring, policy, remote.Repository.Value, tag.Value, ""),
                    pushes, cancellationToken);
                await pipeline.RunStepsAsync(pushes, cancellationToken);
                await RaiseAsync(Events.EventTypes.PollMirroring, local, tag, pushes[^1].Manifest, remote, null, policy, cancellationToken);
                mirrored.Add(tag.Value);
            }
            catch (RegistryException e)
            {
                failed.Add($"{tag}: {e.Message}");
            }
        }

        return new PollResult(mirrored, failed);
    }

    /// <summary>
    /// Pushes what <paramref name="reference"/> names in <paramref name="source"/> (its <paramref name="tag"/>) to the
    /// remote under <paramref name="remoteTag"/>, then raises PUSH_MIRRORING.
    /// </summary>
    private async Task<MirrorResult> PushAsync(
        RepositoryName source, Tag tag, ManifestReference reference, RemoteRepository remote, Tag remoteTag, string policy, CancellationToken cancellationToken)
    {
        var stored = await manifests.GetAsync(source, reference, cancellationToken);
        using (var client = Client(remote))
        {
            await PushAsync(client, source, remote.Repository, stored, remoteTag.Value, cancellationToken);
        }

        var parsed = ManifestParser.Parse(stored.Content, stored.MediaType) with { Digest = stored.Digest };
        await RaiseAsync(Events.EventTypes.PushMirroring, source, tag, parsed, remote, remoteTag, policy, cancellationToken);
        return new MirrorResult(stored.Digest, remote.Repository, remoteTag);
    }

    /// <summary>
    /// PUSH_MIRRORING or POLL_MIRRORING in the local repository: the image's fields (the local tag), mirroredAt, the
    /// remote (remoteHost, remoteRepository, and remoteTag for a push) and mirroringPolicy (its id, or <c>manual</c>).
    /// A job tried again raises the same id.
    /// </summary>
    private async Task RaiseAsync(
        string type, RepositoryName repository, Tag tag, ParsedManifest manifest, RemoteRepository remote, Tag? remoteTag, string policy, CancellationToken cancellationToken)
    {
        if (!await events.WantsAsync(type, repository.Value, cancellationToken))
        {
            return;
        }

        var host = remote.Host.GetLeftPart(UriPartial.Authority);
        var raised = await events.ImageEventAsync(type, repository, tag, manifest.Digest, manifest, type == Events.EventTypes.PollMirroring ? PollAuthor : "",
            "mirroredAt", $"{host}/{remote.Repository}:{remoteTag}\n{manifest.Digest}\n{policy}", cancellationToken);
        raised.Contents["remoteHost"] = host;
        raised.Contents["remoteRepository"] = remote.Repository.Value;
        if (remoteTag is { } pushedAs)
        {
            raised.Contents["remoteTag"] = pushedAs.Value;
        }

        raised.Contents["mirroringPolicy"] = policy;
        await events.RaiseAsync(raised, cancellationToken);
    }

    private async Task PushAsync(
        UpstreamRegistry client, RepositoryName source, RepositoryName target, ManifestService.StoredManifest stored, string reference, CancellationToken cancellationToken)
    {
        var parsed = ManifestParser.Parse(stored.Content, stored.MediaType);
        foreach (var child in parsed.Manifests)
        {
            if (Digest.TryParse(child.Digest, out var digest))
            {
                var image = await manifests.GetAsync(source, new ManifestReference(null, digest), cancellationToken);
                await PushAsync(client, source, target, image, digest.ToString(), cancellationToken);
            }
        }

        // foreign layers (with URLs) are not the registry's to push, as no registry pushes them
        foreach (var blob in parsed.Blobs.Where(b => b.Urls is not { Count: > 0 }))
        {
            if (Digest.TryParse(blob.Digest, out var digest))
            {
                await client.PushBlobAsync(target, digest, blob.Size, ct => content.OpenReadAsync(digest, null, ct), cancellationToken);
            }
        }

        await client.PushManifestAsync(target, reference, stored.MediaType, stored.Content.ToArray(), cancellationToken);
    }

    /// <summary>
    /// Brings a remote manifest into <paramref name="local"/>: an index's images first (by digest), then the blobs the
    /// repository does not link yet (stored as the remote sends them, checked against their digests), then the manifest
    /// through the manifest writer, the tag with its <paramref name="origin"/>; each write is added to <paramref name="pushes"/>
    /// for the after-push steps.
    /// </summary>
    private async Task PullAsync(
        UpstreamRegistry client, RepositoryName remote, RepositoryName local, ManifestReference reference, TagOrigin? origin, List<ManifestPush> pushes,
        CancellationToken cancellationToken)
    {
        var fetched = await client.GetManifestAsync(remote, reference, cancellationToken)
            ?? throw RegistryException.Of(OciErrorCode.ManifestUnknown, $"the remote no longer has {reference}", "reference", reference.ToString());
        var parsed = ManifestParser.Parse(fetched.Content, fetched.MediaType);
        foreach (var child in parsed.Manifests)
        {
            if (Digest.TryParse(child.Digest, out var digest) && await metadata.GetManifestOrNullAsync(local, digest, cancellationToken) is null)
            {
                await PullAsync(client, remote, local, new ManifestReference(null, digest), null, pushes, cancellationToken);
            }
        }

        foreach (var blob in parsed.Blobs.Where(b => b.Urls is not { Count: > 0 }))
        {
            if (Digest.TryParse(blob.Digest, out var digest) && await metadata.GetBlobLinkOrNullAsync(local, digest, cancellationToken) is null)
            {
                using var download = await client.OpenBlobAsync(remote, digest, cancellationToken)
                    ?? throw RegistryException.Of(OciErrorCode.BlobUnknown, $"the remote has no blob {digest}", "digest", digest.ToString());
                var size = await content.StoreAsync(digest, download.Content, cancellationToken)
                    ?? throw new UpstreamUnavailableException($"the remote's bytes of {digest} do not match the digest", null);
                await metadata.LinkBlobAsync(local, digest, size, cancellationToken);
            }
        }

        pushes.Add(await manifests.PutAsync(local, reference, fetched.Content, fetched.MediaType, [], PollAuthor,
            origin is null ? null : origin with { Digest = fetched.Digest.ToString() }, cancellationToken));
    }

    private UpstreamRegistry Client(RemoteRepository remote) => new(
        new RemoteEndpoint(remote.Host, remote.Username, remote.Password, options.Value.Timeout)
        {
            CaPem = remote.CaPem, SkipTlsVerification = remote.SkipTlsVerification, AllowPrivateNetworks = options.Value.AllowPrivateNetworks,
        },
        time);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Direction} mirroring policy {Policy} of {Repository} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string direction, string policy, string repository, string reason);
}
