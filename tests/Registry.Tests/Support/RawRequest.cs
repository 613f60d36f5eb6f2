using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Registry.Tests.Support;

/// <summary>An HTTP/1.1 request written byte for byte, for request targets that HttpClient would rewrite.</summary>
public static class RawRequest
{
    /// <summary>
    /// Sends <c>METHOD target</c> with <paramref name="body"/> (none by default) under a Content-Length of
    /// <paramref name="declaredLength"/> (the body's own by default): a body shorter than declared stalls, as from a
    /// client that stopped sending. Returns the status and the body of the answer (0 and empty when the server closed
    /// the connection without one).
    /// </summary>
    public static async Task<(int Status, string Body)> SendAsync(Uri baseAddress, string requestLine, string body = "", long? declaredLength = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port);
        await using var stream = client.GetStream();
        var length = declaredLength ?? Encoding.ASCII.GetByteCount(body);
        var request = $"{requestLine} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));

        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();
        if (answer.Length == 0)
        {
            return (0, "");
        }

        var status = int.Parse(answer.Split(' ', 3)[1], CultureInfo.InvariantCulture);
        return (status, answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }
}
