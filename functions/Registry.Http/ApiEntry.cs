using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Registry.Errors;
using Registry.Stores;

namespace Registry.Http;

/// <summary>The failures every API answers alike, each in its own error format.</summary>
public enum ApiFailure
{
    /// <summary>The client's body ended early, stalled or broke a server limit: its fault (400, 408 or 413).</summary>
    BadBody,

    /// <summary>Storage cannot be reached: 503 with Retry-After.</summary>
    Unavailable,

    /// <summary>Anything unexpected: 500, logged with its details, answered without them.</summary>
    Internal,
}

/// <summary>
/// The skeleton of every API entry (/v2, the token endpoint, the DTR and eNZi APIs): the entry binds, authorizes and
/// calls its handler inside <see cref="ServeAsync"/>, which answers the API's own exceptions in its format, a broken
/// body as the client's fault, a client that went away with 499 (nothing logged), a storage outage with 503 and
/// Retry-After, and anything else with 500.
/// </summary>
public abstract partial class ApiEntry(ILogger logger)
{
    /// <summary>An answer in the API's own format for one of the shared failures.</summary>
    protected abstract HttpResult Failure(ApiFailure failure, int status, string message);

    /// <summary>The API's own exception as its answer, or null for any other exception.</summary>
    protected abstract HttpResult? Known(Exception exception);

    protected async Task<IActionResult> ServeAsync(HttpRequest request, Func<Task<HttpResult>> serve, CancellationToken cancellationToken)
    {
        try
        {
            return await serve();
        }
        catch (Exception e) when (Known(e) is { } answer)
        {
            return answer;
        }
        catch (BadHttpRequestException e)
        {
            return Failure(ApiFailure.BadBody, e.StatusCode, "the request body could not be read");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return HttpResult.Empty(499);
        }
        catch (Exception e) when (StorageOutage.Is(e))
        {
            LogOutage(logger, request.Method, request.Path.Value ?? "", e.Message);
            return Failure(ApiFailure.Unavailable, 503, "storage cannot be reached; try again shortly")
                .WithHeader("Retry-After", StorageOutage.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception e)
        {
            LogUnexpected(logger, e, request.Method, request.Path.Value ?? "");
            return Failure(ApiFailure.Internal, 500, "internal error; the registry log has the details");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage cannot be reached serving {Method} {Path}: {Reason}")]
    private static partial void LogOutage(ILogger logger, string method, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure serving {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}

/// <summary>An entry that answers in the OCI error envelope (/v2 and the token endpoint).</summary>
public abstract class OciEntry(ILogger logger) : ApiEntry(logger)
{
    /// <summary>The error envelope of <paramref name="e"/> with its status and headers.</summary>
    public static HttpResult Error(RegistryException e)
    {
        var result = HttpResult.Json(e.Status, ErrorEnvelope.From(e));
        foreach (var (name, value) in e.Headers)
        {
            result.WithHeader(name, value);
        }

        return result;
    }

    protected override HttpResult? Known(Exception exception) => exception switch
    {
        RegistryException e => Error(e),
        Caching.UpstreamUnavailableException e => HttpResult.Json(503, new ErrorEnvelope([new ErrorEntry("UNAVAILABLE",
                $"the cache does not hold this and the upstream cannot serve it now ({e.Message}); try again shortly", null)]))
            .WithHeader("Retry-After", ((int)Math.Clamp(e.RetryAfter?.TotalSeconds ?? 10, 1, 3600)).ToString(CultureInfo.InvariantCulture)),
        _ => null,
    };

    /// <summary>
    /// Storage down: not one of the spec's codes, which all describe the request, but distribution's code for a
    /// service that is down (UNAVAILABLE); anything unexpected: UNKNOWN.
    /// </summary>
    protected override HttpResult Failure(ApiFailure failure, int status, string message) => failure switch
    {
        ApiFailure.BadBody => Error(new RegistryException(BadBodyCode, message, status: status)),
        ApiFailure.Unavailable => HttpResult.Json(status, new ErrorEnvelope([new ErrorEntry("UNAVAILABLE", message, null)])),
        _ => HttpResult.Json(status, new ErrorEnvelope([new ErrorEntry("UNKNOWN", message, null)])),
    };

    /// <summary>The code of a body that could not be read.</summary>
    protected abstract OciErrorCode BadBodyCode { get; }
}
