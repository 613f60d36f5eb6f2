using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Auth;
using Registry.Options;
using Registry.Records;
using Registry.Stores;

namespace Registry.Events;

/// <summary>
/// Webhooks: kept with their HMAC secret sealed; matched against the events the outbox drains (each match becomes a
/// message on the webhook queue); delivered by the queue's function, with retries after an exponential backoff up to
/// <see cref="WebhookOptions.MaxAttempts"/> tries, every try in the webhook's log, and the webhook made inactive after
/// <see cref="WebhookOptions.DeactivateAfter"/> failed deliveries in a row. An instance knows the webhooks as they
/// were about <see cref="IndexLifetime"/> ago (one table read per period while events are raised, in the background).
/// </summary>
public sealed partial class WebhookService(
    IWebhookStore store, SealingVault vault, WebhookSender sender, EndpointPolicy policy, IOptions<WebhookOptions> options,
    TimeProvider time, ILogger<WebhookService> logger)
{
    public static readonly TimeSpan IndexLifetime = TimeSpan.FromSeconds(10);

    /// <summary>Longest endpoint URL, and largest tlsCert PEM text.</summary>
    public const int MaxEndpointLength = 2048;
    public const int MaxTlsCertLength = 16 * 1024;

    private readonly WebhookOptions _options = options.Value;
    private volatile WebhookIndex? _index;
    private int _generation;
    private int _refreshing;

    public Task<IReadOnlyList<Webhook>> ListAsync(CancellationToken cancellationToken = default) => store.ListAsync(cancellationToken);

    public Task<Webhook?> GetOrNullAsync(string id, CancellationToken cancellationToken = default) => store.GetOrNullAsync(id, cancellationToken);

    public Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string id, int limit, CancellationToken cancellationToken = default) =>
        store.ListDeliveriesAsync(id, limit, cancellationToken);

    /// <summary>Whether any active webhook exists (the outbox must then be drained even without a publisher).</summary>
    public async Task<bool> AnyAsync(CancellationToken cancellationToken = default) => (await ActiveAsync(cancellationToken)).Count > 0;

    /// <summary>Whether an active webhook takes events of <paramref name="type"/> about <paramref name="key"/>.</summary>
    public async Task<bool> MatchesAsync(string type, string key, CancellationToken cancellationToken = default) =>
        (await ActiveAsync(cancellationToken)).Any(w => w.Type == type && w.Key == key);

    /// <summary>
    /// Why an endpoint is not one to deliver to (not an absolute http(s) URL without credentials, or a name or address
    /// the policy refuses now), or null. A name that does not resolve now is taken: the delivery checks again.
    /// </summary>
    public async Task<string?> CheckEndpointAsync(string endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint.Length > MaxEndpointLength || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            return "endpoint must be an absolute http or https URL of at most 2048 characters, without user information or fragment";
        }

        try
        {
            await policy.ResolveAsync(uri.IdnHost, cancellationToken);
            return null;
        }
        catch (EndpointRefusedException e)
        {
            return e.Unresolved ? null : $"endpoint refused: {e.Message}; a system administrator can allow the network (Registry:Webhooks:AllowedNetworks)";
        }
    }

    /// <summary>Why a tlsCert is not one (PEM certificates), or null.</summary>
    public static string? CheckTlsCert(string tlsCert)
    {
        if (tlsCert.Length == 0)
        {
            return null;
        }

        try
        {
            var certificates = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            certificates.ImportFromPem(tlsCert);
            return tlsCert.Length <= MaxTlsCertLength && certificates.Count > 0 ? null : "tlsCert must be at most 16 KiB of PEM certificates";
        }
        catch (CryptographicException)
        {
            return "tlsCert must be PEM certificates";
        }
    }

    /// <summary>Adds a webhook; the secret is the one given or a new random one, and is answered only here.</summary>
    public async Task<(Webhook Webhook, string Secret)> CreateAsync(Webhook webhook, string? secret, CancellationToken cancellationToken = default)
    {
        webhook.Id = Guid.NewGuid().ToString();
        webhook.CreatedAt = time.GetUtcNow();
        secret ??= Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        webhook.SealedSecret = await SealAsync(webhook.Id, secret, cancellationToken);
        var added = await store.AddAsync(webhook, cancellationToken);
        Invalidate();
        return (added, secret);
    }

    /// <summary>Replaces a webhook on condition of its ETag (a new secret when one is given); false when it changed meanwhile.</summary>
    public async Task<bool> UpdateAsync(Webhook webhook, string? secret, CancellationToken cancellationToken = default)
    {
        if (secret is not null)
        {
            webhook.SealedSecret = await SealAsync(webhook.Id, secret, cancellationToken);
        }

        var updated = await store.UpdateAsync(webhook, cancellationToken);
        Invalidate();
        return updated;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var deleted = await store.DeleteAsync(id, cancellationToken);
        Invalidate();
        return deleted;
    }

    /// <summary>Deletes the webhooks of a repository or namespace that is deleted: whoever takes the name again gets none of them.</summary>
    public async Task DeleteForAsync(string key, CancellationToken cancellationToken = default)
    {
        foreach (var webhook in (await store.ListAsync(cancellationToken)).Where(w => w.Key == key))
        {
            await store.DeleteAsync(webhook.Id, cancellationToken);
        }

        Invalidate();
    }

    /// <summary>Queues a delivery of each event to each active webhook of its type and key (from the outbox's drain).</summary>
    public async Task EnqueueAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default)
    {
        var active = await ActiveAsync(cancellationToken);
        if (active.Count == 0)
        {
            return;
        }

        var jobs = events.SelectMany(e => active.Where(w => w.Type == e.Type && w.Key == e.Key)
            .Select(w => new WebhookJob(w.Id, e.Id, e.Type, e.CreatedAt, e.Payload().ToJsonString(), 1))).ToList();
        foreach (var chunk in jobs.Chunk(16))
        {
            await Task.WhenAll(chunk.Select(job => store.EnqueueAsync(job, TimeSpan.Zero, cancellationToken)));
        }
    }

    /// <summary>
    /// One try of a delivery (the webhook queue's function): posted, logged; a failure is queued again after the
    /// backoff while tries remain; a refused endpoint is not tried again. Nothing is sent for a webhook that is gone or inactive.
    /// </summary>
    public async Task DeliverAsync(WebhookJob job, CancellationToken cancellationToken = default)
    {
        if (await store.GetOrNullAsync(job.WebhookId, cancellationToken) is not { Inactive: false } webhook)
        {
            return;
        }

        var secret = await vault.OpenAsync(webhook.SealedSecret, SecretContext(webhook.Id), cancellationToken);
        var outcome = await sender.SendAsync(new WebhookRequest(webhook.Endpoint, job.Body, job.EventId, job.Type, job.CreatedAt, job.Attempt,
            webhook.TlsCert, webhook.SkipTlsVerification, secret), cancellationToken);
        var now = time.GetUtcNow();
        var status = outcome.Delivered ? WebhookDelivery.Delivered : outcome.Refused ? WebhookDelivery.Refused : WebhookDelivery.Failed;
        Telemetry.RegistryTelemetry.RecordDelivery(status, TimeSpan.FromMilliseconds(outcome.DurationMs));
        LogTry(logger, webhook.Id, job.EventId, job.Type, job.Attempt, status, outcome.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
            outcome.DurationMs, outcome.Error);
        await store.AddDeliveryAsync(new WebhookDelivery(webhook.Id, job.EventId, job.Type, job.Attempt, status, outcome.StatusCode, outcome.DurationMs,
            outcome.Error, now), now - _options.LogRetention, cancellationToken);
        if (outcome.Delivered)
        {
            // one write per minute at most for a webhook that keeps working
            if (webhook.FailedDeliveries > 0 || webhook.LastSuccessfulAt is not { } last || now - last > TimeSpan.FromMinutes(1))
            {
                await ChangeAsync(webhook.Id, w =>
                {
                    w.LastSuccessfulAt = now;
                    w.FailedDeliveries = 0;
                }, cancellationToken);
            }

            return;
        }

        if (!outcome.Refused && job.Attempt < _options.MaxAttempts)
        {
            await store.EnqueueAsync(job with { Attempt = job.Attempt + 1 }, Backoff(job.Attempt), cancellationToken);
            return;
        }

        await ChangeAsync(webhook.Id, w =>
        {
            w.FailedDeliveries++;
            if (w.FailedDeliveries >= _options.DeactivateAfter && !w.Inactive)
            {
                w.Inactive = true;
                LogDeactivated(logger, w.Id, w.FailedDeliveries);
            }
        }, cancellationToken);
    }

    /// <summary>DTR's test: a sample event of the type posted to the endpoint now (the endpoint policy applies; no signature).</summary>
    public async Task<WebhookOutcome> TestAsync(string type, string endpoint, string tlsCert, bool skipTlsVerification, CancellationToken cancellationToken = default)
    {
        var sample = Sample(type, time.GetUtcNow());
        return await sender.SendAsync(new WebhookRequest(endpoint, sample.Payload().ToJsonString(), sample.Id, type, sample.CreatedAt, 1, tlsCert,
            skipTlsVerification, []), cancellationToken);
    }

    /// <summary>The wait before try <paramref name="attempt"/> + 1: the retry delay doubled per try, capped, ±20 %.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var delay = Math.Min(_options.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1), _options.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(delay * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    /// <summary>
    /// The active webhooks: read on first use (and after a change made here); afterwards an index older than
    /// <see cref="IndexLifetime"/> is answered while a read in the background replaces it, so requests that raise
    /// events wait for it only on an instance's first use.
    /// </summary>
    private async Task<IReadOnlyList<Webhook>> ActiveAsync(CancellationToken cancellationToken)
    {
        if (_index is not { } index)
        {
            return await LoadIndexAsync(cancellationToken);
        }

        if (time.GetUtcNow() - index.ReadAt >= IndexLifetime && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await LoadIndexAsync(CancellationToken.None);
                    }
                    catch (Exception e)
                    {
                        LogIndexNotRead(logger, e.Message);
                    }
                    finally
                    {
                        Interlocked.Exchange(ref _refreshing, 0);
                    }
                }, CancellationToken.None);
            }
        }

        return index.Webhooks;
    }

    /// <summary>Drops the index after a change made here; a read that began before the change does not put it back.</summary>
    private void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _index = null;
    }

    /// <summary>Reads the index outside the current flow: a request's storage-call count does not carry this instance-wide read.</summary>
    private async Task<IReadOnlyList<Webhook>> LoadIndexAsync(CancellationToken cancellationToken)
    {
        Task<IReadOnlyList<Webhook>> read;
        using (ExecutionContext.SuppressFlow())
        {
            read = Task.Run(async () =>
            {
                var generation = Volatile.Read(ref _generation);
                var readAt = time.GetUtcNow();
                IReadOnlyList<Webhook> active = (await store.ListAsync(cancellationToken)).Where(w => !w.Inactive).ToList();
                if (generation == Volatile.Read(ref _generation))
                {
                    _index = new WebhookIndex(readAt, active);
                }

                return active;
            }, cancellationToken);
        }

        return await read;
    }

    /// <summary>Changes a webhook on condition of its ETag, reading it again when another change came first.</summary>
    private async Task ChangeAsync(string id, Action<Webhook> change, CancellationToken cancellationToken)
    {
        for (var tries = 0; tries < 5; tries++)
        {
            if (await store.GetOrNullAsync(id, cancellationToken) is not { } webhook)
            {
                return;
            }

            change(webhook);
            if (await store.UpdateAsync(webhook, cancellationToken))
            {
                return;   // the index catches up within its lifetime; a delivery reads the webhook itself
            }
        }
    }

    private Task<byte[]> SealAsync(string id, string secret, CancellationToken cancellationToken) =>
        vault.SealAsync(Encoding.UTF8.GetBytes(secret), SecretContext(id), cancellationToken);

    private static string SecretContext(string id) => $"webhook\n{id}";

    /// <summary>A fixed sample of an event type for the test delivery, in the type's DTR shape.</summary>
    private static RegistryEvent Sample(string type, DateTimeOffset at)
    {
        var when = RegistryEvent.FormatTime(at);
        var digest = "sha256:" + new string('0', 64);
        JsonObject contents = EventTypes.Scopes.GetValueOrDefault(type) switch
        {
            EventScope.Namespace => new() { ["namespace"] = "example", ["repository"] = "app", ["event"] = "REPO_CREATED", ["author"] = "admin", ["data"] = null },
            EventScope.Global when type == EventTypes.ScannerUpdateCompleted => new()
            {
                ["scanner_version"] = "", ["db_version"] = 0, ["db_updated_at"] = when, ["success"] = true, ["replicas"] = new JsonObject(),
            },
            EventScope.Global => new() { ["startedAt"] = when, ["finishedAt"] = when, ["dryRun"] = false },
            _ => new()
            {
                ["namespace"] = "example", ["repository"] = "app", ["tag"] = "latest", ["digest"] = digest, ["imageName"] = "example/app:latest",
                ["os"] = "linux", ["architecture"] = "amd64", ["author"] = "admin", ["pushedAt"] = when,
            },
        };
        return RegistryEvent.Create(type, at, "example/app", contents, "example/app", "test\n" + at.UtcTicks);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {Id}, event {EventId} ({Type}), try {Attempt}: {Status}, answer {Code}, {Milliseconds} ms {Error}")]
    private static partial void LogTry(ILogger logger, string id, string eventId, string type, int attempt, string status, string code, long milliseconds, string error);

    private sealed record WebhookIndex(DateTimeOffset ReadAt, IReadOnlyList<Webhook> Webhooks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The webhooks could not be read again; the index read before stays in use: {Reason}")]
    private static partial void LogIndexNotRead(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Id} was made inactive after {Failed} failed deliveries in a row")]
    private static partial void LogDeactivated(ILogger logger, string id, int failed);
}
