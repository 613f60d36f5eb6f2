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
    /// The client's address: the last X-Forwarded-For entry (the one the Functions front end adds), else the peer.
    /// </summary>
    public static string ClientAddress(HttpRequest request)
    {
        var forwarded = request.Headers["X-Forwarded-For"].ToString();
        if (forwarded.Length > 0)
        {
            return forwarded.Split(',')[^1].Trim();
        }

        return request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
    }
}
