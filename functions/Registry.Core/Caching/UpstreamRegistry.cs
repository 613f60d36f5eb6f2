using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Oci;
using Registry.Options;

namespace Registry.Caching;

/// <summary>The upstream cannot serve now (no connection, a timeout, a 5xx or a 429): cached content is served, a miss answers 503.</summary>
public sealed class UpstreamUnavailableException(string message, TimeSpan? retryAfter, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>What the upstream asked for (a 429's or 503's Retry-After), if anything.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The registry refused the account (401 or 403), as opposed to being unreachable or overloaded.</summary>
    public bool Refused { get; init; }
}

/// <summary>A manifest as the upstream answered it.</summary>
public sealed record UpstreamManifest(Digest Digest, string MediaType, byte[] Content);

/// <summary>A blob's body as the upstream streams it; dispose it to close the connection.</summary>
public sealed record UpstreamBlob(long Length, Stream Content, IDisposable Response) : IDisposable
{
    public void Dispose()
    {
        Content.Dispose();
        Response.Dispose();
    }
}

/// <summary>
/// A registry to talk to: its base URL, the account to sign in with, how long to wait for an answer, how to trust its
/// TLS (a CA of its own in PEM, or no check at all), and whether it may be at a loopback, private or link-local address.
/// </summary>
public sealed record RemoteEndpoint(Uri BaseUri, string? Username, string? Password, TimeSpan Timeout)
{
    public string? CaPem { get; init; }

    public bool SkipTlsVerification { get; init; }

    public bool AllowPrivateNetworks { get; init; } = true;
}

/// <summary>
/// A client of a registry's Distribution API (the cache's upstream, a mirroring policy's remote): the token handshake of the Docker token spec (a 401's
/// <c>Bearer</c> challenge, a token from its realm with the configured account, kept per scope until it expires) or
/// Basic authentication, manifests by tag or digest, blobs followed through their redirects without the
/// <c>Authorization</c> header. Every failure that is the upstream's, not the request's, is an
/// <see cref="UpstreamUnavailableException"/>.
/// </summary>
public sealed class UpstreamRegistry : IDisposable
{
    private readonly RemoteEndpoint _endpoint;
    private readonly Uri _base;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);
    private long _requests;

    /// <summary>The cache's upstream, as configured.</summary>
    public UpstreamRegistry(IOptions<CacheOptions> options, TimeProvider time)
        : this(new RemoteEndpoint(options.Value.UpstreamUri() ?? new Uri("http://upstream.invalid"), options.Value.Username, options.Value.Password,
            options.Value.UpstreamTimeout), time)
    {
    }

    public UpstreamRegistry(RemoteEndpoint endpoint, TimeProvider time)
    {
        _endpoint = endpoint;
        _time = time;
        _base = endpoint.BaseUri;
        _http = new HttpClient(RemoteConnections.Handler(endpoint)) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("serverless-registry/1.0");
    }

    /// <summary>The upstream's base URL.</summary>
    public Uri BaseUri => _base;

    /// <summary>Requests sent to the upstream since start (token requests included).</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>
    /// Whether a tag or digest is known upstream now and the digest it names (null when the upstream does not say): a
    /// HEAD, which Docker Hub does not count against its pull limit.
    /// </summary>
    public async Task<(bool Found, Digest? Digest)> HeadManifestAsync(RepositoryName name, ManifestReference reference, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Head, name, $"manifests/{reference}", MediaTypes.ManifestAccept, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return (false, null);
        }

        return (true, response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.First(), out var digest)
            ? digest
            : reference.Digest);
    }

    /// <summary>A manifest, its bytes checked against its digest; null when unknown upstream.</summary>
    public async Task<UpstreamManifest?> GetManifestAsync(RepositoryName name, ManifestReference reference, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, name, $"manifests/{reference}", MediaTypes.ManifestAccept, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (response.Content.Headers.ContentLength > OciLimits.MaxManifestBytes)
        {
            throw new UpstreamUnavailableException($"the upstream's manifest {reference} is larger than {OciLimits.MaxManifestBytes} bytes", null);
        }

        var content = await ReadBoundedAsync(response, OciLimits.MaxManifestBytes, cancellationToken);
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        var digest = reference.Digest ?? (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.First(), out var named)
            ? named
            : Digest.ComputeSha256(content));
        if (digest.Compute(content) != digest)
        {
            throw new UpstreamUnavailableException($"the upstream's manifest {reference} does not match its digest {digest}", null);
        }

        return new UpstreamManifest(digest, mediaType, content);
    }

    /// <summary>A blob's size upstream, or null when the repository does not have it there.</summary>
    public async Task<long?> HeadBlobAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Head, name, $"blobs/{digest}", null, cancellationToken, followRedirects: true);
        return response.StatusCode == HttpStatusCode.NotFound ? null : response.Content.Headers.ContentLength ?? -1;
    }

    /// <summary>A blob's bytes as a stream (redirects followed), or null when the repository does not have it upstream.</summary>
    public async Task<UpstreamBlob?> OpenBlobAsync(RepositoryName name, Digest digest, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(HttpMethod.Get, name, $"blobs/{digest}", null, cancellationToken, followRedirects: true);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return new UpstreamBlob(response.Content.Headers.ContentLength ?? -1, stream, response);
    }

    /// <summary>The origin's token keys (<c>/auth/jwks</c>, a JSON Web Key Set), as JSON.</summary>
    public async Task<string> GetKeySetAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendOnceAsync(HttpMethod.Get, new Uri(_base, "/auth/jwks"), "application/jwk-set+json, application/json", null, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new UpstreamUnavailableException($"the origin answered {(int)response.StatusCode} for its token keys", RetryAfter(response));
        }

        return System.Text.Encoding.UTF8.GetString(await ReadBoundedAsync(response, 256 * 1024, cancellationToken));
    }

    /// <summary>The tags of a repository upstream (every page), or null when it is unknown there.</summary>
    public async Task<IReadOnlyList<string>?> ListTagsAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        var tags = new List<string>();
        var path = "tags/list?n=1000";
        for (var page = 0; page < 100 && path is not null; page++)
        {
            using var response = await SendAsync(HttpMethod.Get, name, path, "application/json", cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return page == 0 ? null : tags;
            }

            using var document = JsonDocument.Parse(await ReadBoundedAsync(response, 16 * 1024 * 1024, cancellationToken));
            if (document.RootElement.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                tags.AddRange(list.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!));
            }

            path = NextPage(response, name);
        }

        return tags;
    }

    private static string? NextPage(HttpResponseMessage response, RepositoryName name)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        var link = links.First();
        var start = link.IndexOf('<', StringComparison.Ordinal);
        var end = link.IndexOf('>', StringComparison.Ordinal);
        if (start < 0 || end <= start)
        {
            return null;
        }

        var target = link[(start + 1)..end];
        var prefix = $"/v2/{name}/";
        var at = target.IndexOf(prefix, StringComparison.Ordinal);
        return at < 0 ? null : target[(at + prefix.Length)..];
    }

    /// <summary>The status a GET of <paramref name="path"/> answers without credentials (what kind of registry this is).</summary>
    public async Task<HttpStatusCode> GetStatusAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await SendOnceAsync(HttpMethod.Get, new Uri(_base, path), "application/json", null, cancellationToken);
        return response.StatusCode;
    }

    /// <summary>Whether the account may read the repository: its tag list (or an empty repository's 404) answered.</summary>
    public async Task<bool> CanReadAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Get, name, "tags/list?n=1", "application/json", cancellationToken);
            return true;
        }
        catch (UpstreamUnavailableException e) when (e.Refused)
        {
            return false;
        }
    }

    /// <summary>Whether the account may push to the repository: an upload is started, then cancelled.</summary>
    public async Task<bool> CanWriteAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        try
        {
            if (await StartUploadAsync(name, cancellationToken) is not { } upload)
            {
                return false;
            }

            using var cancel = await SendAsync(HttpMethod.Delete, name, upload, null, cancellationToken, push: true);
            return true;
        }
        catch (UpstreamUnavailableException e) when (e.Refused)
        {
            return false;
        }
    }

    /// <summary>
    /// Pushes a blob unless the repository has it: a HEAD, then an upload started by POST and finished by one PUT of the
    /// whole content (<paramref name="open"/> gives it, <paramref name="length"/> bytes long).
    /// </summary>
    public async Task PushBlobAsync(RepositoryName name, Digest digest, long length, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken = default)
    {
        using (var head = await SendAsync(HttpMethod.Head, name, $"blobs/{digest}", null, cancellationToken, push: true))
        {
            if (head.StatusCode != HttpStatusCode.NotFound)
            {
                return;
            }
        }

        var target = await StartUploadAsync(name, cancellationToken)
            ?? throw new UpstreamUnavailableException($"the registry did not start an upload to {name}", null);
        var put = new UriBuilder(target) { Query = (target.Query.Length > 1 ? target.Query[1..] + "&" : "") + "digest=" + Uri.EscapeDataString(digest.ToString()) }.Uri;
        using var finished = await SendAsync(HttpMethod.Put, name, put, null, cancellationToken, push: true, content: async ct =>
        {
            var body = new StreamContent(await open(ct));
            body.Headers.ContentLength = length;
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return body;
        });
        if (finished.StatusCode != HttpStatusCode.Created)
        {
            throw new UpstreamUnavailableException($"the registry did not take the blob {digest} for {name} ({(int)finished.StatusCode})", null);
        }
    }

    /// <summary>Starts an upload (POST): its address, or null when the registry did not answer 202 with one.</summary>
    private async Task<Uri?> StartUploadAsync(RepositoryName name, CancellationToken cancellationToken)
    {
        using var started = await SendAsync(HttpMethod.Post, name, "blobs/uploads/", null, cancellationToken, push: true);
        return started.StatusCode == HttpStatusCode.Accepted && started.Headers.Location is { } location
            ? new Uri(new Uri(_base, $"/v2/{name}/"), location)
            : null;
    }

    /// <summary>Pushes a manifest under a tag or its digest.</summary>
    public async Task PushManifestAsync(RepositoryName name, string reference, string mediaType, byte[] manifest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Put, name, new Uri(_base, $"/v2/{name}/manifests/{reference}"), null, cancellationToken, push: true, content: _ =>
        {
            var body = new ByteArrayContent(manifest);
            body.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return Task.FromResult<HttpContent>(body);
        });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new UpstreamUnavailableException($"the registry did not take the manifest {reference} for {name} ({(int)response.StatusCode})", null);
        }
    }

    private Task<HttpResponseMessage> SendAsync(
        HttpMethod method, RepositoryName name, string path, string? accept, CancellationToken cancellationToken, bool followRedirects = false, bool push = false) =>
        SendAsync(method, name, new Uri(_base, $"/v2/{name}/{path}"), accept, cancellationToken, followRedirects, push);

    /// <summary>
    /// Sends one request of the repository's API, with the token of its pull (or pull and push) scope, asked for on the
    /// first 401, and answers the response of a 2xx or 404; any other answer, or none, is an
    /// <see cref="UpstreamUnavailableException"/>. A body is made by <paramref name="content"/> for each try.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, RepositoryName name, Uri uri, string? accept, CancellationToken cancellationToken, bool followRedirects = false, bool push = false,
        Func<CancellationToken, Task<HttpContent>>? content = null)
    {
        var scope = push ? $"repository:{name}:pull,push" : $"repository:{name}:pull";
        var response = await SendOnceAsync(method, uri, accept, Authorization(scope), cancellationToken, content is null ? null : await content(cancellationToken));
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
            response.Dispose();
            var authorization = await AuthorizeAsync(challenge, scope, cancellationToken);
            response = await SendOnceAsync(method, uri, accept, authorization, cancellationToken, content is null ? null : await content(cancellationToken));
        }

        for (var hops = 0; followRedirects && IsRedirect(response.StatusCode) && hops < 5; hops++)
        {
            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
            {
                throw new UpstreamUnavailableException($"the upstream redirected {uri.AbsolutePath} nowhere", null);
            }

            // a redirect leaves the registry (storage, a CDN): the token stays behind
            response = await SendOnceAsync(method, location.IsAbsoluteUri ? location : new Uri(uri, location), null, null, cancellationToken);
        }

        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300 || status == 404)
        {
            return response;
        }

        var retryAfter = RetryAfter(response);
        response.Dispose();
        throw new UpstreamUnavailableException(status switch
        {
            401 or 403 => $"the registry refused the account ({status}) for {method} {uri.AbsolutePath}",
            429 => $"the registry asks to slow down (429) for {name}",
            _ => $"the registry answered {status} for {name}",
        }, retryAfter) { Refused = status is 401 or 403 };
    }

    private async Task<HttpResponseMessage> SendOnceAsync(
        HttpMethod method, Uri uri, string? accept, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        request.Headers.Authorization = authorization;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_endpoint.Timeout);
        Interlocked.Increment(ref _requests);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamUnavailableException($"the upstream cannot be reached: {e.Message}", null, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamUnavailableException($"the upstream did not answer within {_endpoint.Timeout}", null, e);
        }
    }

    private AuthenticationHeaderValue? Authorization(string scope) =>
        _tokens.TryGetValue(scope, out var known) && known.Expires > _time.GetUtcNow()
            ? new AuthenticationHeaderValue("Bearer", known.Token)
            : Basic();

    private AuthenticationHeaderValue? Basic() =>
        string.IsNullOrEmpty(_endpoint.Username)
            ? null
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_endpoint.Username}:{_endpoint.Password}")));

    /// <summary>What answers a 401's challenge: Basic credentials, or a token from the Bearer challenge's realm.</summary>
    private async Task<AuthenticationHeaderValue?> AuthorizeAsync(AuthenticationHeaderValue? challenge, string scope, CancellationToken cancellationToken)
    {
        if (challenge is null || !challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return Basic();
        }

        var parameters = ParseChallenge(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri)
            || realmUri.Scheme is not ("http" or "https"))
        {
            throw new UpstreamUnavailableException("the upstream's challenge names no usable token realm", null);
        }

        var query = new StringBuilder(realmUri.Query.Length > 1 ? realmUri.Query[1..] + "&" : "");
        if (parameters.TryGetValue("service", out var service))
        {
            query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        }

        query.Append("scope=").Append(Uri.EscapeDataString(parameters.GetValueOrDefault("scope") ?? scope));
        var tokenUri = new UriBuilder(realmUri) { Query = query.ToString() }.Uri;
        using var response = await SendOnceAsync(HttpMethod.Get, tokenUri, "application/json", Basic(), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new UpstreamUnavailableException($"the upstream's token service answered {(int)response.StatusCode}", RetryAfter(response))
            {
                Refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden,
            };
        }

        using var document = JsonDocument.Parse(await ReadBoundedAsync(response, 64 * 1024, cancellationToken));
        var root = document.RootElement;
        var token = (root.TryGetProperty("token", out var t) ? t.GetString() : null)
            ?? (root.TryGetProperty("access_token", out var a) ? a.GetString() : null)
            ?? throw new UpstreamUnavailableException("the upstream's token service answered no token", null);
        var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0 ? seconds : 60;
        _tokens[scope] = (token, _time.GetUtcNow().AddSeconds(Math.Max(lifetime - 30, lifetime / 2)));
        return new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The <c>key="value"</c> parameters of a challenge.</summary>
    internal static Dictionary<string, string> ParseChallenge(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < parameter.Length)
        {
            var eq = parameter.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            var key = parameter[i..eq].Trim(' ', ',');
            string value;
            if (eq + 1 < parameter.Length && parameter[eq + 1] == '"')
            {
                var close = parameter.IndexOf('"', eq + 2);
                close = close < 0 ? parameter.Length : close;
                value = parameter[(eq + 2)..close];
                i = close + 1;
            }
            else
            {
                var comma = parameter.IndexOf(',', eq + 1);
                comma = comma < 0 ? parameter.Length : comma;
                value = parameter[(eq + 1)..comma].Trim();
                i = comma;
            }

            result[key] = value;
            while (i < parameter.Length && parameter[i] is ',' or ' ')
            {
                i++;
            }
        }

        return result;
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new UpstreamUnavailableException($"the upstream's answer is larger than {limit.ToString(CultureInfo.InvariantCulture)} bytes", null);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    public void Dispose() => _http.Dispose();
}
