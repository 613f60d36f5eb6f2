using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Registry.Http;

/// <summary>
/// An answer of the registry: status, headers and at most one body (bytes, JSON or a stream). It writes itself, so
/// it runs the same under the Functions host and the standalone host.
/// </summary>
public sealed class HttpResult : IActionResult
{
    /// <summary>JSON as the spec shows it: media types keep their '+' (bodies are JSON, never HTML).</summary>
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };

    private ReadOnlyMemory<byte>? _bytes;
    private Stream? _stream;

    private HttpResult(int status) => Status = status;

    public int Status { get; }

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? ContentType { get; private set; }

    /// <summary>Content-Length to announce without a body (HEAD answers).</summary>
    public long? ContentLength { get; private set; }

    public static HttpResult Empty(int status) => new(status);

    public static HttpResult Json<T>(int status, T body, string contentType = "application/json")
    {
        var result = new HttpResult(status);
        return result.WithBody(JsonSerializer.SerializeToUtf8Bytes(body, JsonOptions), contentType);
    }

    public HttpResult WithBody(ReadOnlyMemory<byte> bytes, string contentType)
    {
        _bytes = bytes;
        ContentType = contentType;
        ContentLength = bytes.Length;
        return this;
    }

    /// <summary>A streamed body; without a <paramref name="length"/> it is sent chunked.</summary>
    public HttpResult WithStream(Stream stream, string contentType, long? length)
    {
        _stream = stream;
        ContentType = contentType;
        ContentLength = length;
        return this;
    }

    /// <summary>Announces a body's type and length without sending it.</summary>
    public HttpResult WithoutBody(string contentType, long length)
    {
        ContentType = contentType;
        ContentLength = length;
        return this;
    }

    public HttpResult WithHeader(string name, string value)
    {
        Headers[name] = value;
        return this;
    }

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = Status;
        response.Headers[OciHeaders.ApiVersion] = OciHeaders.ApiVersionValue;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        if (ContentType is not null)
        {
            response.ContentType = ContentType;
        }

        response.ContentLength = ContentLength ?? (_stream is null ? 0 : null);
        var ct = context.HttpContext.RequestAborted;
        if (HttpMethods.IsHead(context.HttpContext.Request.Method))
        {
            if (_stream is not null)
            {
                await _stream.DisposeAsync();
            }

            return;
        }

        if (_bytes is { } bytes)
        {
            await response.Body.WriteAsync(bytes, ct);
        }
        else if (_stream is not null)
        {
            await using (_stream)
            {
                await _stream.CopyToAsync(response.Body, 256 * 1024, ct);
            }
        }
    }
}
