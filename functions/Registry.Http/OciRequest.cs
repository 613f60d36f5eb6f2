using Microsoft.AspNetCore.Http;
using Registry.Auth;
using Registry.Oci;

namespace Registry.Http;

/// <summary>A request whose route parts have been validated: what every handler receives.</summary>
public sealed record OciRequest(
    HttpRequest Http,
    RouteName Route,
    RequiredAccess Access,
    RepositoryName Name,
    ManifestReference? Reference,
    Digest? Digest,
    string? UploadId)
{
    /// <summary>The GUN of a Notary route, whose repository is <see cref="Name"/>.</summary>
    public Trust.Gun? Gun { get; init; }

    /// <summary>The file or key a Notary route names (after <c>_trust/tuf/</c>).</summary>
    public string? TrustFile { get; init; }

    /// <summary>The scope name a token must carry for this request: the GUN on Notary routes, as the Notary client asks for it.</summary>
    public string ScopeName => Gun?.ToString() ?? Name.Value;

    /// <summary>The request's valid token, or null when authentication is off.</summary>
    public ValidatedToken? Token { get; init; }

    /// <summary>True when the request may do <paramref name="action"/> on <paramref name="name"/> (always, with authentication off).</summary>
    public bool Allows(RepositoryName name, string action) =>
        Token is null || Token.Allows(Scope.RepositoryType, name.Value, action);

    /// <summary>The query value of <paramref name="key"/>, or null when absent or empty.</summary>
    public string? Query(string key)
    {
        var value = Http.Query[key];
        return value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];
    }
}
