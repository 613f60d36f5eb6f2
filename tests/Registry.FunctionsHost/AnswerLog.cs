using System.Text;
using System.Text.RegularExpressions;

namespace Registry.FunctionsHost;

/// <summary>
/// <c>--record FILE</c>: one line per answered request, method, path and query, status and the headers the OCI and
/// token specs give meaning to, with what differs between two runs of one suite made alike (digests, upload ids, job
/// ids, the registry's and storage's addresses). Two hosts that answer a suite alike write the same set of lines.
/// </summary>
public sealed partial class AnswerLog(string path)
{
    private static readonly string[] Headers =
    [
        "Content-Type", "Location", "WWW-Authenticate", "Docker-Content-Digest", "Docker-Upload-UUID", "Docker-Distribution-API-Version",
        "Range", "Content-Range", "OCI-Chunk-Min-Length", "OCI-Subject", "OCI-Filters-Applied", "Allow", "Link", "Warning",
    ];

    private readonly Lock _gate = new();

    public async Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        await next(context);
        if (context.Request.Path.StartsWithSegments("/admin", StringComparison.Ordinal))
        {
            return;
        }

        var line = new StringBuilder()
            .Append(context.Request.Method).Append(' ').Append(Normalize(context.Request.Path.Value ?? ""))
            .Append(Query(context.Request.Query)).Append(" -> ").Append(context.Response.StatusCode);
        foreach (var name in Headers)
        {
            if (context.Response.Headers.TryGetValue(name, out var value))
            {
                line.Append(" | ").Append(name).Append(": ").Append(HeaderValue(name, value.ToString()));
            }
        }

        lock (_gate)
        {
            File.AppendAllText(path, line.Append('\n').ToString());
        }
    }

    private static string Query(IQueryCollection query) =>
        query.Count == 0 ? "" : "?" + string.Join('&', query.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => $"{q.Key}={Normalize(q.Value.ToString())}"));

    private static string HeaderValue(string name, string value)
    {
        if (name is "Range" or "Content-Range")
        {
            // The form is the spec's; the numbers are the sizes of this run's random content.
            return Number().Replace(value, "N");
        }

        var registryRelative = RegistryAddress().Replace(value, "{registry}");
        return name == "Location" && AbsoluteUrl().IsMatch(registryRelative) ? "{storage}" : Normalize(registryRelative);
    }

    private static string Normalize(string value) =>
        JobId().Replace(UploadId().Replace(DigestValue().Replace(value, "{digest}"), "{uuid}"), "{job}");

    [GeneratedRegex(@"https?://(127\.0\.0\.1|localhost|\[::1\]):[0-9]+(?=/auth/token|/v2/)")]
    private static partial Regex RegistryAddress();

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Number();

    [GeneratedRegex("^https?://")]
    private static partial Regex AbsoluteUrl();

    [GeneratedRegex("(sha256|sha512)(:|%3A|-)[0-9a-f]{64,128}", RegexOptions.IgnoreCase)]
    private static partial Regex DigestValue();

    [GeneratedRegex("(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")]
    private static partial Regex UploadId();

    /// <summary>A job's id (<c>Records.SortableId</c>: 19 digits, a dash, 8 hex digits).</summary>
    [GeneratedRegex("(?<![0-9])[0-9]{19}-[0-9a-f]{8}(?![0-9a-f])")]
    private static partial Regex JobId();
}
