using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Errors;
using Registry.Http.Handlers;
using Registry.Oci;
using Registry.Trust;

namespace Registry.Http;

/// <summary>
/// The entry of /v2/ for both hosts: matches the route table, validates name, reference, digest and upload id
/// before any storage call, checks the token for the access the route's row names and calls the row's handler, inside
/// the skeleton every API shares (<see cref="ApiEntry"/>), answering in the OCI error envelope.
/// </summary>
public sealed partial class RegistryDispatcher(
    OciHandlers handlers, RegistryAuthorizer authorizer, Services.RegistrySettingsService settings, Stores.IMetadataStore metadata,
    IOptions<Options.CacheOptions> cache, ILogger<RegistryDispatcher> logger)
    : OciEntry(logger)
{
    private readonly bool _readOnly = cache.Value.Enabled;

    /// <summary>Serves one request under /v2/.</summary>
    public Task<IActionResult> DispatchAsync(HttpRequest request, CancellationToken cancellationToken = default) =>
        ServeAsync(request, async () =>
        {
            var (ociRequest, handler) = Bind(request);
            request.HttpContext.Items[Audit.AuditService.RepositoryItem] = ociRequest.Name.Value;
            var token = await authorizer.AuthorizeAsync(ociRequest, cancellationToken);
            request.HttpContext.Items[Audit.AuditService.ActorItem] = token?.Subject ?? "";
            if (request.Method is not ("GET" or "HEAD"))
            {
                await CheckWriteAllowedAsync(ociRequest, cancellationToken);
            }

            return await handler(ociRequest with { Token = token }, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// The run-time settings' say on a write: none while the registry is read-only (405, as Distribution's read-only
    /// mode answers), and no push into a repository that does not exist while pushes do not create repositories.
    /// </summary>
    private async Task CheckWriteAllowedAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var now = await settings.GetAsync(cancellationToken);
        if (now.ReadOnlyRegistry)
        {
            throw RegistryException.Of(OciErrorCode.Unsupported, "the registry is read-only for maintenance: pulls only, try pushing again later", "allow", "GET, HEAD")
                .WithHeader("Allow", "GET, HEAD");
        }

        if (!now.CreateRepositoryOnPush && request.Access == RequiredAccess.Push && await metadata.GetRepositoryOrNullAsync(request.Name, cancellationToken) is null)
        {
            throw RegistryException.Of(OciErrorCode.NameUnknown,
                "repository name not known to registry: pushes do not create repositories here, create it first (POST /api/v0/repositories/<namespace>)",
                "name", request.Name.Value);
        }
    }

    protected override OciErrorCode BadBodyCode => OciErrorCode.BlobUploadInvalid;

    /// <summary>The Notary routes answer their refusals with the Notary server's codes.</summary>
    protected override HttpResult? Known(Exception exception) =>
        exception is TrustException e ? TrustHandlers.Error(e) : base.Known(exception);

    private (OciRequest, OciHandler) Bind(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        if (RequestTarget.IsAmbiguous(request))
        {
            throw RegistryException.Of(OciErrorCode.NameInvalid, "the path holds a dot segment or an encoded slash", "path", Shorten(path));
        }

        var relative = path.StartsWith("/v2/", StringComparison.Ordinal) ? path[4..] : "";
        var match = RouteTable.Match(relative)
            ?? throw RegistryException.Of(OciErrorCode.NameUnknown, "no such endpoint", "path", path.Length > 300 ? path[..300] : path, 404);
        var method = request.Method.ToUpperInvariant();
        request.HttpContext.Items[Telemetry.RegistryTelemetry.RouteItem] = match.Route.Name.ToString();
        var bound = match.Route.Find(method);
        if (bound is null)
        {
            var allow = string.Join(", ", match.Route.Methods.Select(m => m.Method));
            throw RegistryException.Of(OciErrorCode.Unsupported, $"{method} is not supported here", "allow", allow).WithHeader("Allow", allow);
        }

        if (_readOnly && method is not ("GET" or "HEAD"))
        {
            throw RegistryException.Of(OciErrorCode.Unsupported, "this registry is a read-only cache: push to its upstream", "allow", "GET, HEAD")
                .WithHeader("Allow", "GET, HEAD");
        }

        Trust.Gun? gun = null;
        if (match.Gun is not null && !Trust.Gun.TryParse(match.Gun, out gun))
        {
            throw new TrustException(TrustErrorCode.InvalidGun, $"{Shorten(match.Gun)} is not <registry host>/<repository name>");
        }

        var name = gun?.Repository ?? default;
        if (match.Name is not null && !RepositoryName.TryParse(match.Name, out name))
        {
            var shown = match.Name.Length > 300 ? match.Name[..300] : match.Name;
            throw RegistryException.Of(OciErrorCode.NameInvalid, "invalid repository name", "name", shown);
        }

        ManifestReference? reference = null;
        if (match.Reference is not null)
        {
            reference = ManifestReference.TryParse(match.Reference, out var looksLikeDigest)
                ?? throw InvalidReference(method, match.Reference, looksLikeDigest);
        }

        Digest? digest = null;
        if (match.Digest is not null)
        {
            digest = Digest.TryParse(match.Digest, out var parsed)
                ? parsed
                : throw RegistryException.Of(OciErrorCode.DigestInvalid, "invalid digest", "digest", Shorten(match.Digest));
        }

        if (match.UploadId is not null && !UploadIdGrammar().IsMatch(match.UploadId))
        {
            throw RegistryException.Of(OciErrorCode.BlobUploadUnknown, "blob upload unknown to registry", "uuid", Shorten(match.UploadId));
        }

        return (new OciRequest(request, match.Route.Name, bound.Access, name, reference, digest, match.UploadId) { Gun = gun, TrustFile = match.File },
            bound.Handler(handlers));
    }

    /// <summary>
    /// A reference that is neither a tag nor a digest: nothing by that name can exist, so reads and deletes answer
    /// 404 MANIFEST_UNKNOWN (as distribution, whose routes never match it); a push of it is a bad request.
    /// </summary>
    private static RegistryException InvalidReference(string method, string reference, bool looksLikeDigest) =>
        method != "PUT"
            ? RegistryException.Of(OciErrorCode.ManifestUnknown, "manifest unknown", looksLikeDigest ? "digest" : "tag", Shorten(reference))
            : looksLikeDigest
                ? RegistryException.Of(OciErrorCode.DigestInvalid, "invalid digest", "digest", Shorten(reference))
                : RegistryException.Of(OciErrorCode.ManifestInvalid, "invalid tag", "tag", Shorten(reference));

    private static string Shorten(string value) => value.Length > 200 ? value[..200] : value;

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex UploadIdGrammar();
}
