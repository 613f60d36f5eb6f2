using System.Text.Json.Serialization;

namespace Registry.Records;

/// <summary>
/// One entry of the audit log: who (the account, or the user name a failed login tried) did what (the API and its
/// route, the method and path), to which repository if any, how it was answered, from where, and when.
/// </summary>
public sealed record AuditEntry(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("clientIp")] string ClientIp);
