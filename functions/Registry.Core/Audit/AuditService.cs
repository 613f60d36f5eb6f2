using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Records;
using Registry.Stores;

namespace Registry.Audit;

/// <summary>
/// The audit log: who did what. Every request that changes something (a manifest pushed or deleted, trust data
/// published, every POST, PUT, PATCH and DELETE of the DTR and account APIs: policies, permissions, accounts, tokens,
/// webhooks, GC and the other administration) and every refused login is recorded by the request's report, in the
/// registry's log and in its repository's (DTR's repository activity). Entries are written in the background: the
/// request neither waits for nor fails with them, and an entry can be lost when the instance stops first. Each log keeps
/// <see cref="AuditOptions.Retention"/> and at most <see cref="AuditOptions.MaxEntries"/> entries.
/// </summary>
public sealed partial class AuditService(IAuditStore store, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditService> logger)
{
    /// <summary>Where a dispatcher leaves who is acting (or which user name a login tried), and the repository it acts on.</summary>
    public const string ActorItem = "registry.actor";
    public const string RepositoryItem = "registry.repository";

    /// <summary>A log is trimmed at its first entry written by an instance and every this many after (a small log more often).</summary>
    public const int TrimEvery = 100;

    public const int MaxPathLength = 300;

    private readonly ConcurrentDictionary<string, int> _writes = new(StringComparer.Ordinal);

    /// <summary>Whether a request is one the log records: a change, or a refused login.</summary>
    public static bool IsAudited(string api, string route, string method, int status, bool presentedCredentials) =>
        (status == 401 && presentedCredentials)
        || (api != "token" && method is "POST" or "PUT" or "PATCH" or "DELETE" && route is not ("BlobUploadStart" or "BlobUpload"));

    /// <summary>Records an entry in the background; <paramref name="repository"/> also gets it in its own log unless null.</summary>
    public void Record(string actor, string action, string method, string path, string? repository, int status, string clientIp)
    {
        var at = time.GetUtcNow();
        var entry = new AuditEntry(SortableId.NewestFirst(at), at, actor, action, method, path.Length > MaxPathLength ? path[..MaxPathLength] : path,
            repository ?? "", status, clientIp);
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => WriteAsync(entry, repository is not null), CancellationToken.None);
        }
    }

    public Task<IReadOnlyList<AuditEntry>> ListAsync(string? repository, string? start, int limit, CancellationToken cancellationToken = default) =>
        store.ListAsync(repository, start, limit, cancellationToken);

    /// <summary>A deleted repository's log goes: whoever makes a repository of the name again does not read it.</summary>
    public Task DeleteRepositoryAsync(string repository, CancellationToken cancellationToken = default) =>
        store.DeleteRepositoryAsync(repository, cancellationToken);

    private async Task WriteAsync(AuditEntry entry, bool inRepository)
    {
        try
        {
            await store.AddAsync(entry, inRepository, CancellationToken.None);
            await TrimSometimesAsync(null);
            if (inRepository)
            {
                await TrimSometimesAsync(entry.Repository);
            }
        }
        catch (Exception e)
        {
            LogNotWritten(logger, entry.Action, e.Message);
        }
    }

    private async Task TrimSometimesAsync(string? repository)
    {
        var every = Math.Clamp(options.Value.MaxEntries / 10, 1, TrimEvery);
        if (every == 1 || _writes.AddOrUpdate(repository ?? "", 1, (_, count) => count + 1) % every == 1)
        {
            await store.TrimAsync(repository, time.GetUtcNow() - options.Value.Retention, options.Value.MaxEntries, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An audit entry ({Action}) could not be written: {Reason}")]
    private static partial void LogNotWritten(ILogger logger, string action, string reason);
}
