using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Records;
using Registry.Services;
using Registry.Stores;

namespace Registry.Mirroring;

/// <summary>
/// A mirroring job from the queue: a poll policy to run (no tag), or one tag of a push policy's repository to push, the
/// image it named when it was pushed and the remote tag its template gave then, so that a retry pushes the same.
/// </summary>
public sealed record MirrorJob(
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("policy")] string Policy,
    [property: JsonPropertyName("tag")] string? Tag = null,
    [property: JsonPropertyName("digest")] string? Digest = null,
    [property: JsonPropertyName("remoteTag")] string? RemoteTag = null,
    [property: JsonPropertyName("requestedAt")] DateTimeOffset? RequestedAt = null);

/// <summary>
/// DTR's mirroring policies, the deciding half (<see cref="MirroringService"/> runs the jobs): they are kept with the
/// remote account's password sealed for the policy, and a push whose tags meet a push policy's rules, a scan that
/// completes an image such rules ask about, and the poll timer each queue a job.
/// </summary>
public sealed class MirroringPolicyService(
    IPolicyStore store, Auth.SealingVault vault, IMetadataStore metadata, Scanning.ScanResults scans, IMemoryCache cache,
    IOptions<RegistryOptions> options, TimeProvider time)
{
    private readonly TimeSpan _cacheLifetime = options.Value.MetadataCacheLifetime;

    public async Task<IReadOnlyList<MirroringPolicy>> ListAsync(RepositoryName name, string? direction, CancellationToken cancellationToken = default) =>
        (await store.ListMirroringAsync(name, cancellationToken)).Where(p => direction is null || p.Direction == direction).ToList();

    public Task<MirroringPolicy?> GetOrNullAsync(RepositoryName name, string id, CancellationToken cancellationToken = default) =>
        store.GetMirroringOrNullAsync(name, id, cancellationToken);

    /// <summary>
    /// Saves a policy (a new id when it has none). A non-null <paramref name="password"/> replaces the kept one (empty:
    /// none); null keeps it.
    /// </summary>
    public async Task<MirroringPolicy> SaveAsync(MirroringPolicy policy, string? password, CancellationToken cancellationToken = default)
    {
        if (policy.Id.Length == 0)
        {
            policy.Id = Guid.NewGuid().ToString("N");
        }

        if (password is not null)
        {
            policy.SealedPassword = password.Length == 0 ? ""
                : Convert.ToBase64String(await vault.SealAsync(Encoding.UTF8.GetBytes(password), SealContext(policy), cancellationToken));
        }

        await store.SaveMirroringAsync(policy, cancellationToken);
        cache.Remove(CacheKey(policy.Repository));
        return policy;
    }

    public async Task<bool> DeleteAsync(RepositoryName name, string id, CancellationToken cancellationToken = default)
    {
        cache.Remove(CacheKey(name.Value));
        return await store.DeleteMirroringAsync(name, id, cancellationToken);
    }

    /// <summary>The remote a policy names, with its password unsealed.</summary>
    public async Task<RemoteRepository> RemoteOfAsync(MirroringPolicy policy, CancellationToken cancellationToken = default)
    {
        var password = policy.SealedPassword.Length == 0 ? null
            : Encoding.UTF8.GetString(await vault.OpenAsync(Convert.FromBase64String(policy.SealedPassword), SealContext(policy), cancellationToken));
        return new RemoteRepository(new Uri(policy.RemoteHost), Named(policy.RemoteRepository), policy.Username.Length == 0 ? null : policy.Username,
            password, policy.RemoteCa.Length == 0 ? null : policy.RemoteCa, policy.SkipTlsVerification);
    }

    /// <summary>After a push: a job for each tag it set that an enabled push policy without scan rules takes.</summary>
    public async Task OnPushAsync(ManifestPush push, CancellationToken cancellationToken = default)
    {
        if (push.Tags.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        foreach (var policy in (await GetEnabledPushAsync(push.Repository, cancellationToken)).Where(p => !PolicyRule.Load(p.Rules).Any(r => r.NeedsScan)))
        {
            foreach (var tag in push.Tags.Where(tag => PolicyRule.Load(policy.Rules).All(r => r.Matches(tag.Value, now, now))))
            {
                await QueueAsync(policy, tag.Value, push.Manifest.Digest, now, cancellationToken);
            }
        }
    }

    /// <summary>After a scan of <paramref name="digest"/>: the push policies with scan rules, for the tags that name it.</summary>
    public async Task OnScanAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        var policies = (await GetEnabledPushAsync(name, cancellationToken)).Where(p => PolicyRule.Load(p.Rules).Any(r => r.NeedsScan)).ToList();
        if (policies.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var facts = await scans.GetFactsAsync(name, digest, cancellationToken);
        foreach (var row in (await metadata.ListTagRecordsAsync(name, cancellationToken)).Where(t => t.Digest == digest.ToString()))
        {
            foreach (var policy in policies.Where(p => PolicyRule.Load(p.Rules).All(r => r.Matches(row.Name, row.LastPointedAt, now, facts))))
            {
                await QueueAsync(policy, row.Name, digest, now, cancellationToken);
            }
        }
    }

    /// <summary>initialEvaluation of a push policy: a job for each of the repository's tags that meets its rules.</summary>
    public async Task EvaluateAsync(MirroringPolicy policy, CancellationToken cancellationToken = default)
    {
        var name = Named(policy.Repository);
        var now = time.GetUtcNow();
        var rules = PolicyRule.Load(policy.Rules);
        var facts = new Dictionary<Digest, ImageFacts?>();
        foreach (var row in await metadata.ListTagRecordsAsync(name, cancellationToken))
        {
            if (!Digest.TryParse(row.Digest, out var digest))
            {
                continue;
            }

            if (rules.Any(r => r.NeedsScan) && !facts.ContainsKey(digest))
            {
                facts[digest] = await scans.GetFactsAsync(name, digest, cancellationToken);
            }

            if (rules.All(r => r.Matches(row.Name, row.LastPointedAt, now, facts.GetValueOrDefault(digest))))
            {
                await QueueAsync(policy, row.Name, digest, now, cancellationToken);
            }
        }
    }

    /// <summary>A job for one run of a poll policy.</summary>
    public Task QueuePollAsync(MirroringPolicy policy, CancellationToken cancellationToken = default) =>
        store.EnqueueMirrorAsync(new MirrorJob(policy.Repository, policy.Id, RequestedAt: time.GetUtcNow()), cancellationToken);

    /// <summary>The poll timer: a job for each enabled poll policy; returns how many.</summary>
    public async Task<int> QueuePollsAsync(CancellationToken cancellationToken = default)
    {
        var queued = 0;
        foreach (var policy in (await store.ListPollMirroringAsync(cancellationToken)).Where(p => p.Enabled))
        {
            await QueuePollAsync(policy, cancellationToken);
            queued++;
        }

        return queued;
    }

    /// <summary>The longest <c>detail</c> kept with a policy's status (a poll can fail for many tags at once).</summary>
    public const int MaxDetailLength = 2000;

    /// <summary>Records how a run went: <c>SUCCESS</c> (and, when it mirrored something, when) or <c>FAILED</c> with why.</summary>
    public async Task RecordAsync(MirroringPolicy policy, bool succeeded, bool mirrored, string detail, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        policy.LastStatus = succeeded ? "SUCCESS" : "FAILED";
        policy.LastStatusDetail = detail.Length <= MaxDetailLength ? detail : detail[..(MaxDetailLength - 1)] + "…";
        policy.LastStatusAt = now;
        policy.LastMirroredAt = mirrored ? now : null;
        await store.MarkMirroredAsync(policy, cancellationToken);
    }

    private Task QueueAsync(MirroringPolicy policy, string tag, Digest digest, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.EnqueueMirrorAsync(new MirrorJob(policy.Repository, policy.Id, tag, digest.ToString(), TagTemplate.Render(policy.TagTemplate, tag, now), now),
            cancellationToken);

    private async Task<IReadOnlyList<MirroringPolicy>> GetEnabledPushAsync(RepositoryName name, CancellationToken cancellationToken) =>
        (await cache.GetOrCreateAsync(CacheKey(name.Value), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = _cacheLifetime;
            return (await ListAsync(name, MirroringPolicy.Push, cancellationToken)).Where(p => p.Enabled).ToList();
        }))!;

    /// <summary>A name kept in a policy (checked when it was saved).</summary>
    internal static RepositoryName Named(string value) =>
        RepositoryName.TryParse(value, out var name) ? name : throw new InvalidOperationException($"a mirroring policy names no repository as {value}");

    /// <summary>What a policy's password is sealed for: it opens for no other policy or repository.</summary>
    private static string SealContext(MirroringPolicy policy) => $"mirroring-policy\n{policy.Repository}\n{policy.Id}";

    private static (string, string) CacheKey(string name) => ("mirroring", name);
}
