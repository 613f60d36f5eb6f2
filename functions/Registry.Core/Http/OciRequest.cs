using Microsoft.AspNetCore.Http;
using Registry.Oci;

namespace Registry.Http;

/// <summary>A request whose route parts have been validated: what every handler receives.</summary>
public sealed record OciRequest(
    HttpRequest Http,
    RouteName Route,
    RepositoryName Name,
    ManifestReference? Reference,
    Digest? Digest,
    string? UploadId)
{
    /// <summary>The query value of <paramref name="key"/>, or null when absent or empty.</summary>
    public string? Query(string key)
    {
        var value = Http.Query[key];
        return value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];
    }
}
