using System.Text.RegularExpressions;
using Registry.Http.Handlers;

namespace Registry.Http;

/// <summary>The routes of /v2/, named after the spec's endpoints (distribution-spec "Endpoints" table).</summary>
public enum RouteName
{
    Base,
    Catalog,
    Tags,
    Manifest,
    Blob,
    BlobUploadStart,
    BlobUpload,
    Referrers,
    TrustCollection,
    TrustFile,
    TrustKey,
}

/// <summary>What a request's token must allow: nothing, or an action on the repository it names, or the catalog.</summary>
public enum RequiredAccess
{
    None,
    Pull,
    Push,
    Delete,
    Catalog,

    /// <summary>Everything on the repository (<c>*</c>), as the Notary server asks for deleting trust data and rotating keys.</summary>
    Admin,
}

/// <summary>A handler of one method of one route.</summary>
public delegate Task<HttpResult> OciHandler(OciRequest request, CancellationToken cancellationToken);

/// <summary>The handlers of /v2/, which the route table's rows pick from.</summary>
public sealed record OciHandlers(BlobHandlers Blobs, UploadHandlers Uploads, ManifestHandlers Manifests, DiscoveryHandlers Discovery, TrustHandlers Trust);

/// <summary>One method of a route: the spec's endpoint ids, what its token must allow, and its handler.</summary>
public sealed record RouteMethod(string Method, string SpecIds, RequiredAccess Access, Func<OciHandlers, OciHandler> Handler);

/// <summary>One route: its name, a pattern over the path after <c>/v2/</c>, and its methods.</summary>
public sealed record RouteDescriptor(RouteName Name, Regex Pattern, IReadOnlyList<RouteMethod> Methods)
{
    public RouteMethod? Find(string method) => Methods.FirstOrDefault(m => m.Method == method);
}

/// <summary>A matched route with the raw captures; the dispatcher validates them before any storage call.</summary>
public sealed record RouteMatch(RouteDescriptor Route, string? Name, string? Reference, string? Digest, string? UploadId, string? Gun, string? File);

/// <summary>
/// The one route table of /v2/: each route's pattern, and for each of its methods the spec's endpoint ids, the access
/// its token needs and its handler. Patterns capture loosely (any name, any reference) so that a bad name or digest
/// gets its own error code rather than a 404. Order matters: upload routes come before the blob route, and the Notary
/// routes (notary server/server.go, under a GUN, which no repository name can be mistaken for: no component of a name
/// starts with '_') come first.
/// </summary>
public static partial class RouteTable
{
    public static readonly IReadOnlyList<RouteDescriptor> Routes =
    [
        new(RouteName.TrustCollection, TrustCollectionRoute(),
        [
            new("POST", "notary-publish", RequiredAccess.Push, h => h.Trust.PublishAsync),
            new("DELETE", "notary-delete", RequiredAccess.Admin, h => h.Trust.DeleteAsync),
        ]),
        new(RouteName.TrustKey, TrustKeyRoute(),
        [
            new("GET", "notary-get-key", RequiredAccess.Push, h => h.Trust.GetKeyAsync),
            new("POST", "notary-rotate-key", RequiredAccess.Admin, h => h.Trust.RotateKeyAsync),
        ]),
        new(RouteName.TrustFile, TrustFileRoute(), [new("GET", "notary-get", RequiredAccess.Pull, h => h.Trust.GetFileAsync)]),
        new(RouteName.Base, BaseRoute(),
        [
            new("GET", "end-1", RequiredAccess.None, _ => ApiVersionAsync),
            new("HEAD", "end-1", RequiredAccess.None, _ => ApiVersionAsync),
        ]),
        new(RouteName.Catalog, CatalogRoute(), [new("GET", "catalog", RequiredAccess.Catalog, h => h.Discovery.ListRepositoriesAsync)]),
        new(RouteName.Tags, TagsRoute(), [new("GET", "end-8a end-8b", RequiredAccess.Pull, h => h.Discovery.ListTagsAsync)]),
        new(RouteName.Manifest, ManifestRoute(),
        [
            new("GET", "end-3", RequiredAccess.Pull, h => h.Manifests.GetManifestAsync),
            new("HEAD", "end-3", RequiredAccess.Pull, h => h.Manifests.GetManifestAsync),
            new("PUT", "end-7", RequiredAccess.Push, h => h.Manifests.PutManifestAsync),
            new("DELETE", "end-9", RequiredAccess.Delete, h => h.Manifests.DeleteManifestAsync),
        ]),
        new(RouteName.BlobUploadStart, UploadStartRoute(), [new("POST", "end-4a end-4b end-11", RequiredAccess.Push, h => h.Uploads.StartUploadAsync)]),
        new(RouteName.BlobUpload, UploadRoute(),
        [
            new("PATCH", "end-5", RequiredAccess.Push, h => h.Uploads.PatchUploadAsync),
            new("PUT", "end-6", RequiredAccess.Push, h => h.Uploads.CompleteUploadAsync),
            new("GET", "end-13", RequiredAccess.Push, h => h.Uploads.GetUploadStatusAsync),
            new("DELETE", "", RequiredAccess.Push, h => h.Uploads.CancelUploadAsync),
        ]),
        new(RouteName.Blob, BlobRoute(),
        [
            new("GET", "end-2", RequiredAccess.Pull, h => h.Blobs.GetBlobAsync),
            new("HEAD", "end-2", RequiredAccess.Pull, h => h.Blobs.HeadBlobAsync),
            new("DELETE", "end-10", RequiredAccess.Delete, h => h.Blobs.DeleteBlobAsync),
        ]),
        new(RouteName.Referrers, ReferrersRoute(), [new("GET", "end-12a end-12b", RequiredAccess.Pull, h => h.Discovery.ListReferrersAsync)]),
    ];

    /// <summary>end-1: the API version check, an empty JSON object.</summary>
    private static Task<HttpResult> ApiVersionAsync(OciRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(HttpResult.Json(200, new Dictionary<string, string>()));

    /// <summary>Finds the route of <paramref name="path"/> (the part after <c>/v2/</c>), or null.</summary>
    public static RouteMatch? Match(string path)
    {
        foreach (var route in Routes)
        {
            var m = route.Pattern.Match(path);
            if (m.Success)
            {
                return new RouteMatch(route, Group(m, "name"), Group(m, "reference"), Group(m, "digest"), Group(m, "uuid"), Group(m, "gun"), Group(m, "file"));
            }
        }

        return null;
    }

    private static string? Group(Match m, string name) => m.Groups[name].Success ? m.Groups[name].Value : null;

    [GeneratedRegex("^$")]
    private static partial Regex BaseRoute();

    [GeneratedRegex("^(?<gun>.+?)/_trust/tuf/?$", RegexOptions.Singleline)]
    private static partial Regex TrustCollectionRoute();

    [GeneratedRegex("^(?<gun>.+?)/_trust/tuf/(?<file>[a-z]+)\\.key$", RegexOptions.Singleline)]
    private static partial Regex TrustKeyRoute();

    [GeneratedRegex("^(?<gun>.+?)/_trust/tuf/(?<file>.+\\.json)$", RegexOptions.Singleline)]
    private static partial Regex TrustFileRoute();

    [GeneratedRegex("^_catalog$")]
    private static partial Regex CatalogRoute();

    [GeneratedRegex("^(?<name>.+)/tags/list$", RegexOptions.Singleline)]
    private static partial Regex TagsRoute();

    [GeneratedRegex("^(?<name>.+)/manifests/(?<reference>[^/]+)$", RegexOptions.Singleline)]
    private static partial Regex ManifestRoute();

    [GeneratedRegex("^(?<name>.+)/blobs/uploads/?$", RegexOptions.Singleline)]
    private static partial Regex UploadStartRoute();

    [GeneratedRegex("^(?<name>.+)/blobs/uploads/(?<uuid>[^/]+)$", RegexOptions.Singleline)]
    private static partial Regex UploadRoute();

    [GeneratedRegex("^(?<name>.+)/blobs/(?<digest>[^/]+)$", RegexOptions.Singleline)]
    private static partial Regex BlobRoute();

    [GeneratedRegex("^(?<name>.+)/referrers/(?<digest>[^/]+)$", RegexOptions.Singleline)]
    private static partial Regex ReferrersRoute();
}
