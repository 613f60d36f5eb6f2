using System.Text.Json.Serialization;

namespace Registry.Records;

/// <summary>A timer's last run: when, how it ended, how long it took, and on which instance.</summary>
public sealed record TimerRun(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("lastRunAt")] DateTimeOffset LastRunAt,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("durationSeconds")] double DurationSeconds,
    [property: JsonPropertyName("instance")] string Instance);

/// <summary>An instance of the app as it last reported itself (every minute while it runs).</summary>
public sealed record InstanceSeen(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("lastSeenAt")] DateTimeOffset LastSeenAt,
    [property: JsonPropertyName("version")] string Version);

/// <summary>A queue's approximate depth and its poison queue's.</summary>
public sealed record QueueDepth(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("messages")] int? Messages,
    [property: JsonPropertyName("poison")] int? Poison,
    [property: JsonPropertyName("error")] string? Error);
