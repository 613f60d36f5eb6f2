using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;

namespace Registry.Events;

/// <summary>What an event type is about, and so what a webhook of the type is keyed by.</summary>
public enum EventScope
{
    /// <summary>One repository (webhook key <c>ns/repo</c>, repository admins).</summary>
    Repository,

    /// <summary>A namespace (webhook key <c>ns</c>, the namespace's admins).</summary>
    Namespace,

    /// <summary>The whole registry (no key, system administrators).</summary>
    Global,
}

/// <summary>The event types: DTR's webhook types, and the registry's own beyond them.</summary>
public static class EventTypes
{
    public const string TagPush = "TAG_PUSH";
    public const string TagPull = "TAG_PULL";
    public const string TagDelete = "TAG_DELETE";
    public const string ManifestPush = "MANIFEST_PUSH";
    public const string ManifestPull = "MANIFEST_PULL";
    public const string ManifestDelete = "MANIFEST_DELETE";
    public const string RepoEvent = "REPO_EVENT";
    public const string ScanCompleted = "SCAN_COMPLETED";
    public const string ScanFailed = "SCAN_FAILED";
    public const string Promotion = "PROMOTION";
    public const string PushMirroring = "PUSH_MIRRORING";
    public const string PollMirroring = "POLL_MIRRORING";
    public const string ScannerUpdateCompleted = "SCANNER_UPDATE_COMPLETED";

    // the registry's own
    public const string BlobMount = "BLOB_MOUNT";
    public const string ImageSigned = "IMAGE_SIGNED";
    public const string GcCompleted = "GC_COMPLETED";

    /// <summary>Every type, with its scope.</summary>
    public static readonly IReadOnlyDictionary<string, EventScope> Scopes = new Dictionary<string, EventScope>(StringComparer.Ordinal)
    {
        [TagPush] = EventScope.Repository,
        [TagPull] = EventScope.Repository,
        [TagDelete] = EventScope.Repository,
        [ManifestPush] = EventScope.Repository,
        [ManifestPull] = EventScope.Repository,
        [ManifestDelete] = EventScope.Repository,
        [ScanCompleted] = EventScope.Repository,
        [ScanFailed] = EventScope.Repository,
        [Promotion] = EventScope.Repository,
        [PushMirroring] = EventScope.Repository,
        [PollMirroring] = EventScope.Repository,
        [BlobMount] = EventScope.Repository,
        [ImageSigned] = EventScope.Repository,
        [RepoEvent] = EventScope.Namespace,
        [ScannerUpdateCompleted] = EventScope.Global,
        [GcCompleted] = EventScope.Global,
    };

    /// <summary>Pull events: raised for the publisher only when Registry:Events:Pulls is on.</summary>
    public static bool IsPull(string type) => type is TagPull or ManifestPull;
}

/// <summary>
/// One registry event: DTR's webhook payload <c>{type, createdAt, contents, location}</c>, with an id that is the same
/// each time the same change is raised again (so consumers can drop duplicates), and the repository (or namespace) it
/// is about. Published inside a CloudEvents 1.0 envelope (<see cref="ToCloudEvent"/>).
/// </summary>
public sealed record RegistryEvent(string Id, string Type, DateTimeOffset CreatedAt, string Subject, JsonObject Contents, string Location)
{
    public const string Source = "urn:registry";

    /// <summary>An event whose id is derived from what identifies the change (type, subject, and the change's own key).</summary>
    public static RegistryEvent Create(string type, DateTimeOffset createdAt, string subject, JsonObject contents, string location, string changeKey) =>
        new(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{type}\n{subject}\n{changeKey}")))[..32], type, createdAt, subject, contents, location);

    /// <summary>A time as event payloads write it: UTC, seven fractional digits, <c>Z</c>.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// What the event is about as webhooks are keyed: <c>ns/repo</c> for a repository's event, <c>ns</c> for a
    /// namespace's, empty for the registry's.
    /// </summary>
    public string Key => EventTypes.Scopes.GetValueOrDefault(Type) switch
    {
        EventScope.Repository => $"{Text("namespace")}/{Text("repository")}",
        EventScope.Namespace => Text("namespace"),
        _ => "",
    };

    private string Text(string field) => Contents[field] is JsonValue v && v.TryGetValue(out string? text) ? text : "";

    /// <summary>DTR's webhook body.</summary>
    public JsonObject Payload() => new()
    {
        ["type"] = Type,
        ["createdAt"] = FormatTime(CreatedAt),
        ["contents"] = Contents.DeepClone(),
        ["location"] = Location,
    };

    /// <summary>The CloudEvents 1.0 envelope: id, source, type, subject, time, and DTR's payload as JSON data.</summary>
    public CloudEvent ToCloudEvent() => new(CloudEventsSpecVersion.V1_0)
    {
        Id = Id,
        Source = new Uri(Source),
        Type = Type,
        Subject = Subject,
        Time = CreatedAt,
        DataContentType = "application/json",
        Data = JsonSerializer.SerializeToElement(Payload()),
    };

    /// <summary>The envelope in structured mode (<c>application/cloudevents+json</c>).</summary>
    public byte[] ToStructuredJson() => new JsonEventFormatter().EncodeStructuredModeMessage(ToCloudEvent(), out _).ToArray();

    /// <summary>The stored form of an event (the outbox's), and back.</summary>
    public string Serialize() => new JsonObject
    {
        ["id"] = Id, ["type"] = Type, ["createdAt"] = CreatedAt.ToString("O"), ["subject"] = Subject, ["contents"] = Contents.DeepClone(), ["location"] = Location,
    }.ToJsonString();

    public static RegistryEvent Deserialize(string stored)
    {
        var o = JsonNode.Parse(stored)!.AsObject();
        return new RegistryEvent(o["id"]!.GetValue<string>(), o["type"]!.GetValue<string>(), DateTimeOffset.Parse(o["createdAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
            o["subject"]!.GetValue<string>(), o["contents"]!.AsObject().DeepClone().AsObject(), o["location"]!.GetValue<string>());
    }
}
