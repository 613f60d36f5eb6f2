using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Registry.Auth;

/// <summary>Reading Basic credentials and the client address of a request, for every API that logs users in.</summary>
public static class BasicCredentials
{
    /// <summary>The user and secret of a <c>Basic</c> Authorization header, or null when it is not one.</summary>
    public static (string User, string Secret)? Parse(string header)
    {
        if (!AuthenticationHeaderValue.TryParse(header, out var value)
            || !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || value.Parameter is null)
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0 ? null : (decoded[..colon], decoded[(colon + 1)..]);
    }

    /// <summary>
    /// The client's address. X-Forwarded-For counts only as the forwarded-headers middleware of both hosts reads it,
    /// from a trusted proxy (the Functions host on loopback); what remains of the header is the client's own word.
    /// </summary>
    public static string ClientAddress(HttpRequest request) =>
        request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
