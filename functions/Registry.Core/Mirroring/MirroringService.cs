using System.Net;
using Microsoft.Extensions.Options;
using Registry.Caching;
using Registry.Oci;
using Registry.Options;
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

/// <summary>
/// Push mirroring (DTR's <c>pushMirroring</c>): a tag's image pushed to a repository of another registry, blob by blob
/// (only those the remote lacks) then its manifest, an index's images before the index, so the remote never names
/// content it does not hold. Remotes are reached as <see cref="RemoteConnections"/> allows.
/// </summary>
public sealed class MirroringService(ManifestService manifests, IContentStore content, IOptions<MirroringOptions> options, TimeProvider time)
{
    /// <summary>Pushes what <paramref name="tag"/> names in <paramref name="source"/> to the remote under <paramref name="remoteTag"/>.</summary>
    public async Task<MirrorResult> PushTagAsync(RepositoryName source, Tag tag, RemoteRepository remote, Tag remoteTag, CancellationToken cancellationToken = default)
    {
        var stored = await manifests.GetAsync(source, new ManifestReference(tag, null), cancellationToken);
        using var client = Client(remote);
        await PushAsync(client, source, remote.Repository, stored, remoteTag.Value, cancellationToken);
        return new MirrorResult(stored.Digest, remote.Repository, remoteTag);
    }

    /// <summary>DTR's remote registry check: whether the account may read and push, and whether the remote is a DTR.</summary>
    public async Task<RemoteCheck> CheckAsync(RemoteRepository remote, CancellationToken cancellationToken = default)
    {
        using var client = Client(remote);
        var api = await client.GetStatusAsync("/api/v0/meta/features", cancellationToken);
        var read = await client.CanReadAsync(remote.Repository, cancellationToken);
        var write = await client.CanWriteAsync(remote.Repository, cancellationToken);
        return new RemoteCheck(api is HttpStatusCode.OK or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, read, write);
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

    private UpstreamRegistry Client(RemoteRepository remote) => new(
        new RemoteEndpoint(remote.Host, remote.Username, remote.Password, options.Value.Timeout)
        {
            CaPem = remote.CaPem, SkipTlsVerification = remote.SkipTlsVerification, AllowPrivateNetworks = options.Value.AllowPrivateNetworks,
        },
        time);
}
