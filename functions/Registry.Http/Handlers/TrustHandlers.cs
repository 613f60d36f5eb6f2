using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Registry.Trust;

namespace Registry.Http.Handlers;

/// <summary>
/// The Notary server API under a GUN (notary server/server.go): fetch metadata, publish an update as a multipart form
/// (one part per role, the role as the file name), get or rotate a server-held key, delete a GUN's trust data.
/// </summary>
public sealed class TrustHandlers(TrustDataService trust)
{
    /// <summary>Most bytes of one publish, all roles together.</summary>
    public const int MaxPublishBytes = 16 * 1024 * 1024;

    /// <summary>GET <c>&lt;role&gt;.json</c>, <c>&lt;version&gt;.&lt;role&gt;.json</c>, <c>&lt;role&gt;.&lt;sha256&gt;.json</c>.</summary>
    public async Task<HttpResult> GetFileAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var answer = await trust.GetFileAsync(request.Gun!, request.TrustFile!, cancellationToken);
        return HttpResult.Empty(200).WithBody(answer.Bytes, "application/json")
            .WithHeader("Cache-Control", answer.Immutable ? "public, max-age=31536000, immutable" : "no-cache");
    }

    /// <summary>GET <c>timestamp.key</c> or <c>snapshot.key</c>: the server's public key for the role, made at first ask.</summary>
    public async Task<HttpResult> GetKeyAsync(OciRequest request, CancellationToken cancellationToken) =>
        Key(await trust.GetKeyAsync(request.Gun!, request.TrustFile!, cancellationToken));

    /// <summary>POST <c>timestamp.key</c> or <c>snapshot.key</c>: a new server key for the role.</summary>
    public async Task<HttpResult> RotateKeyAsync(OciRequest request, CancellationToken cancellationToken) =>
        Key(await trust.RotateKeyAsync(request.Gun!, request.TrustFile!, cancellationToken));

    /// <summary>DELETE: all trust data of the GUN.</summary>
    public async Task<HttpResult> DeleteAsync(OciRequest request, CancellationToken cancellationToken)
    {
        await trust.DeleteAsync(request.Gun!, cancellationToken);
        return HttpResult.Empty(200);
    }

    /// <summary>POST: an update, a multipart form whose parts are named <c>files</c> with the role as file name.</summary>
    public async Task<HttpResult> PublishAsync(OciRequest request, CancellationToken cancellationToken)
    {
        var http = request.Http;
        if (!MediaTypeHeaderValue.TryParse(http.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw new TrustException(TrustErrorCode.MalformedUpload, "an update is a multipart/form-data body with a boundary");
        }

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var total = 0;
        var reader = new MultipartReader(boundary, http.Body) { HeadersCountLimit = 8, HeadersLengthLimit = 4096 };
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || HeaderUtilities.RemoveQuotes(disposition.FileName).Value is not { Length: > 0 } fileName)
                {
                    throw new TrustException(TrustErrorCode.MalformedUpload, "each part names its role as its file name");
                }

                var role = fileName.EndsWith(".json", StringComparison.Ordinal) ? fileName[..^5] : fileName;
                var bytes = await RequestBodies.ReadAtMostAsync(section.Body, MaxPublishBytes - total, cancellationToken)
                    ?? throw new TrustException(TrustErrorCode.MalformedUpload, $"an update holds at most {MaxPublishBytes} bytes");
                total += bytes.Length;
                if (!files.TryAdd(role, bytes.ToArray()))
                {
                    throw new TrustException(TrustErrorCode.MalformedUpload, $"the update holds {role} twice");
                }

                if (files.Count > TufValidator.MaxRoles)
                {
                    throw new TrustException(TrustErrorCode.MalformedUpload, $"an update holds at most {TufValidator.MaxRoles} roles");
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new TrustException(TrustErrorCode.MalformedUpload, $"the multipart body cannot be read: {e.Message}");
        }

        await trust.PublishAsync(request.Gun!, files, cancellationToken);
        return HttpResult.Empty(200);
    }

    /// <summary>
    /// A refusal as notary-server writes it: the registry error envelope with the Notary code, and for refused metadata
    /// the validation error by the name the Notary client turns back into its own error (and prints).
    /// </summary>
    public static HttpResult Error(TrustException e)
    {
        var descriptor = TrustErrors.Table[e.Code];
        JsonNode detail = TrustErrors.WireName(e.Validation) is { } name
            ? new JsonObject { ["Name"] = name, ["Error"] = new JsonObject { ["Msg"] = e.Message } }
            : JsonValue.Create(e.Message);
        var body = new JsonObject
        {
            ["errors"] = new JsonArray(new JsonObject { ["code"] = descriptor.Code, ["message"] = descriptor.Message, ["detail"] = detail }),
        };
        return HttpResult.Empty(descriptor.Status).WithBody(Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json");
    }

    private static HttpResult Key(string json) => HttpResult.Empty(200).WithBody(Encoding.UTF8.GetBytes(json), "application/json");
}
