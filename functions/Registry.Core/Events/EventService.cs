using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;
using Registry.Stores;

namespace Registry.Events;

/// <summary>
/// Raises registry events: each is written to the outbox (a table row) by the step that made the change, then
/// published by a drain (in the background a quarter second later, and by a timer for whatever an outage left behind), and
/// removed only once the publisher took it. A publisher that is down neither loses an event nor slows or fails the
/// request; delivery is at least once, and an event raised again for the same change has the same id. An event is
/// recorded only when someone takes it: the publisher (pulls only when Registry:Events:Pulls is on) or a webhook.
/// </summary>
public sealed partial class EventService(
    IEventOutbox outbox, IEventPublisher publisher, WebhookService webhooks, Services.ImageConfigReader configs, IMemoryCache cache, IOptions<EventOptions> options,
    TimeProvider time, ILogger<EventService> logger)
{
    /// <summary>When the timer drains what the drains after each event left behind (an outage, an instance that stopped): every minute.</summary>
    public const string DrainSchedule = "0 * * * * *";

    /// <summary>How long after an event its drain starts, gathering the events raised meanwhile.</summary>
    public static readonly TimeSpan DrainDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>Events published per outbox read.</summary>
    public const int BatchSize = 100;

    private readonly EventOptions _options = options.Value;
    private readonly SemaphoreSlim _draining = new(1, 1);
    private int _requested;
    private int _scheduled;

    private bool Publishing => !string.Equals(_options.Publisher, "none", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether events of <paramref name="type"/> about <paramref name="key"/> (<see cref="RegistryEvent.Key"/>) are
    /// taken by anyone, so that a caller builds them only then. Never throws (webhooks that cannot be read: no).
    /// </summary>
    public async Task<bool> WantsAsync(string type, string key, CancellationToken cancellationToken = default)
    {
        if (Publishing && (_options.Pulls || !EventTypes.IsPull(type)))
        {
            return true;
        }

        try
        {
            return await webhooks.MatchesAsync(type, key, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNotRecorded(logger, e, type, key);
            return false;
        }
    }

    /// <summary>Whether anyone takes events at all (the publisher, or an active webhook): the timer drains only then.</summary>
    public async Task<bool> HasConsumersAsync(CancellationToken cancellationToken = default) => Publishing || await webhooks.AnyAsync(cancellationToken);

    /// <summary>Records an event and starts publishing it; never throws (a failure to record is logged).</summary>
    public Task RaiseAsync(RegistryEvent registryEvent, CancellationToken cancellationToken = default) => RaiseAsync([registryEvent], cancellationToken);

    /// <summary>Records the events of one change that someone takes together (one table transaction) and starts publishing them; never throws.</summary>
    public async Task RaiseAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default)
    {
        var wanted = new List<RegistryEvent>();
        foreach (var e in events)
        {
            if (await WantsAsync(e.Type, e.Key, cancellationToken))
            {
                wanted.Add(e);
            }
        }

        if (wanted.Count == 0)
        {
            return;
        }

        events = wanted;
        try
        {
            await outbox.AddAsync(events, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogNotRecorded(logger, e, events[0].Type, events[0].Subject);
            return;
        }

        ScheduleDrain();
    }

    /// <summary>
    /// A drain shortly after the request (<see cref="DrainDelay"/>), without its storage-call count or its
    /// cancellation; the events raised meanwhile go in the same drain, so a busy instance publishes in batches.
    /// </summary>
    private void ScheduleDrain()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 1)
        {
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(async () =>
            {
                await Task.Delay(DrainDelay, time);
                Interlocked.Exchange(ref _scheduled, 0);
                await DrainAsync(CancellationToken.None);
            }, CancellationToken.None);
        }
    }

    /// <summary>
    /// Publishes what the outbox holds, oldest first, to the publisher and as deliveries to the webhooks that take it,
    /// removing each batch once published; one drain at a time per
    /// instance (a drain asked for meanwhile runs right after). Returns how many events went out; stops at the first
    /// failure (logged), leaving the rest for the next drain.
    /// </summary>
    public async Task<int> DrainAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Exchange(ref _requested, 1);
        var published = 0;
        while (Volatile.Read(ref _requested) == 1 && await _draining.WaitAsync(0, cancellationToken))
        {
            try
            {
                while (Interlocked.Exchange(ref _requested, 0) == 1)
                {
                    IReadOnlyList<(string Key, RegistryEvent Event)> batch;
                    while ((batch = await outbox.ListAsync(BatchSize, cancellationToken)).Count > 0)
                    {
                        var raised = batch.Select(b => b.Event).ToList();
                        if (Publishing)
                        {
                            await publisher.PublishAsync(raised, cancellationToken);
                        }

                        await webhooks.EnqueueAsync(raised, cancellationToken);
                        await outbox.RemoveAsync(batch.Select(b => b.Key).ToList(), cancellationToken);

                        published += batch.Count;
                        Telemetry.RegistryTelemetry.RecordEventsPublished(batch.Count);
                    }
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogNotPublished(logger, e.GetType().Name, e.Message);
                return published;
            }
            finally
            {
                _draining.Release();
            }
        }

        return published;
    }

    /// <summary>
    /// An image event in DTR's shape: <c>{namespace, repository, tag, digest, imageName, os, architecture, author,
    /// &lt;at&gt;}</c> (no tag for MANIFEST_*); <paramref name="timeField"/> is <c>pushedAt</c>, <c>pulledAt</c> or <c>deletedAt</c>.
    /// </summary>
    public async Task<RegistryEvent> ImageEventAsync(
        string type, RepositoryName repository, Tag? tag, Digest digest, ParsedManifest? manifest, string? author, string timeField, string changeKey,
        CancellationToken cancellationToken = default)
    {
        var (os, architecture) = manifest is null ? ("", "")
            : await cache.GetOrCreateAsync(("platform", manifest.Blobs.Count > 0 ? manifest.Blobs[0].Digest : manifest.Digest.ToString()), entry =>
            {
                entry.SlidingExpiration = TimeSpan.FromMinutes(10);
                return PlatformOfAsync(manifest, cancellationToken);
            });
        var at = time.GetUtcNow();
        var name = Qualified(repository.Value);
        var imageName = tag is { } t ? $"{name}:{t}" : $"{name}@{digest}";
        var contents = NamesOf(repository);
        if (tag is { } withTag)
        {
            contents["tag"] = withTag.Value;
        }

        contents["digest"] = digest.ToString();
        contents["imageName"] = imageName;
        contents["os"] = os;
        contents["architecture"] = architecture;
        contents["author"] = author ?? "";
        contents[timeField] = RegistryEvent.FormatTime(at);
        return RegistryEvent.Create(type, at, imageName, contents, imageName, changeKey);
    }

    /// <summary>A REPO_EVENT: <c>{namespace, repository, event, author, data}</c>, data being the repository as the API shows it.</summary>
    public RegistryEvent RepositoryEvent(RepositoryName repository, string repoEvent, string? author, JsonNode? data)
    {
        var at = time.GetUtcNow();
        var contents = NamesOf(repository);
        contents["event"] = repoEvent;
        contents["author"] = author ?? "";
        contents["data"] = data?.DeepClone();
        return RegistryEvent.Create(EventTypes.RepoEvent, at, repository.Value, contents, Qualified(repository.Value),
            $"{repoEvent}\n{at.UtcTicks}");
    }

    /// <summary>
    /// An event about one repository that is not an image's: <c>{namespace, repository, &lt;fields&gt;, &lt;timeField&gt;}</c>,
    /// the subject and location being the repository.
    /// </summary>
    public RegistryEvent RepositoryFactEvent(string type, RepositoryName repository, JsonObject fields, string timeField, string changeKey)
    {
        var at = time.GetUtcNow();
        var contents = NamesOf(repository);
        foreach (var (field, value) in fields)
        {
            contents[field] = value?.DeepClone();
        }

        contents[timeField] = RegistryEvent.FormatTime(at);
        return RegistryEvent.Create(type, at, repository.Value, contents, Qualified(repository.Value), changeKey);
    }

    /// <summary>An event about the whole registry (GC, the vulnerability database), its subject the type's own.</summary>
    public RegistryEvent GlobalEvent(string type, string subject, JsonObject contents, string changeKey) =>
        RegistryEvent.Create(type, time.GetUtcNow(), subject, contents, _options.RegistryHost, changeKey);

    /// <summary>DTR's first two fields of every repository's event: the namespace, and the name within it.</summary>
    private static JsonObject NamesOf(RepositoryName repository) => new()
    {
        ["namespace"] = Auth.PermissionService.NamespaceOf(repository),
        ["repository"] = repository.Value[(repository.Value.IndexOf('/', StringComparison.Ordinal) + 1)..],
    };

    private string Qualified(string name) => _options.RegistryHost.Length == 0 ? name : $"{_options.RegistryHost}/{name}";

    /// <summary>The os and architecture of an image from its config (one small blob read); empty for an index or an unreadable config.</summary>
    private async Task<(string Os, string Architecture)> PlatformOfAsync(ParsedManifest manifest, CancellationToken cancellationToken) =>
        await configs.ReadOrNullAsync(manifest, cancellationToken) is { } config ? (config.Os, config.Architecture) : ("", "");

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Type} event of {Subject} could not be recorded")]
    private static partial void LogNotRecorded(ILogger logger, Exception exception, string type, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Events could not be published ({Kind}: {Reason}); they stay in the outbox for the next drain")]
    private static partial void LogNotPublished(ILogger logger, string kind, string reason);
}
