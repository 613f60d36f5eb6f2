using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Registry.Tests.Support;

/// <summary>An HTTP/1.1 request written byte for byte, for request targets that HttpClient would rewrite.</summary>
public static class RawRequest
{
    /// <summary>Sends <c>METHOD target</c> with an empty body and returns the status and the body.</summary>
    public static async Task<(int Status, string Body)> SendAsync(Uri baseAddress, string requestLine)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port);
        await using var stream = client.GetStream();
        var request = $"{requestLine} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();
        var status = int.Parse(answer.Split(' ', 3)[1], CultureInfo.InvariantCulture);
        var body = answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        return (status, body);
    }
}
