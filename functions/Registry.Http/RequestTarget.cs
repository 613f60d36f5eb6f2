using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Registry.Http;

/// <summary>
/// The request target as the client sent it. Kestrel removes dot segments before routing, so that
/// <c>/v2/a/../b/blobs/uploads/</c> would act on <c>b</c>; the APIs refuse such a target instead of guessing what
/// the client meant.
/// </summary>
public static class RequestTarget
{
    /// <summary>
    /// True when the path the client sent holds a dot segment (<c>.</c> or <c>..</c>, also percent-encoded) or an
    /// encoded slash or backslash, so that the path routed is not the path written.
    /// </summary>
    public static bool IsAmbiguous(HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            return false;
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? raw : raw[..query];
        if (path.Contains("%2f", StringComparison.OrdinalIgnoreCase) || path.Contains("%5c", StringComparison.OrdinalIgnoreCase)
            || path.Contains('\\', StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var segment in path.Split('/'))
        {
            var decoded = segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase);
            if (decoded is "." or "..")
            {
                return true;
            }
        }

        return false;
    }
}
