using System.Text.RegularExpressions;

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
}

/// <summary>One route: its name, the spec's endpoint ids, a pattern over the path after <c>/v2/</c> and its methods.</summary>
public sealed record RouteDescriptor(RouteName Name, string SpecIds, Regex Pattern, IReadOnlyList<string> Methods);

/// <summary>A matched route with the raw captures; the dispatcher validates them before any storage call.</summary>
public sealed record RouteMatch(RouteDescriptor Route, string? Name, string? Reference, string? Digest, string? UploadId);

/// <summary>
/// The one route table of /v2/. Patterns capture loosely (any name, any reference) so that a bad name or digest
/// gets its own error code rather than a 404. Order matters: upload routes come before the blob route.
/// </summary>
public static partial class RouteTable
{
    public static readonly IReadOnlyList<RouteDescriptor> Routes =
    [
        new(RouteName.Base, "end-1", BaseRoute(), ["GET", "HEAD"]),
        new(RouteName.Catalog, "catalog", CatalogRoute(), ["GET"]),
        new(RouteName.Tags, "end-8a end-8b", TagsRoute(), ["GET"]),
        new(RouteName.Manifest, "end-3 end-7 end-9", ManifestRoute(), ["GET", "HEAD", "PUT", "DELETE"]),
        new(RouteName.BlobUploadStart, "end-4a end-4b end-11", UploadStartRoute(), ["POST"]),
        new(RouteName.BlobUpload, "end-5 end-6 end-13", UploadRoute(), ["GET", "PATCH", "PUT", "DELETE"]),
        new(RouteName.Blob, "end-2 end-10", BlobRoute(), ["GET", "HEAD", "DELETE"]),
        new(RouteName.Referrers, "end-12a end-12b", ReferrersRoute(), ["GET"]),
    ];

    /// <summary>Finds the route of <paramref name="path"/> (the part after <c>/v2/</c>), or null.</summary>
    public static RouteMatch? Match(string path)
    {
        foreach (var route in Routes)
        {
            var m = route.Pattern.Match(path);
            if (m.Success)
            {
                return new RouteMatch(route, Group(m, "name"), Group(m, "reference"), Group(m, "digest"), Group(m, "uuid"));
            }
        }

        return null;
    }

    private static string? Group(Match m, string name) => m.Groups[name].Success ? m.Groups[name].Value : null;

    [GeneratedRegex("^$")]
    private static partial Regex BaseRoute();

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
