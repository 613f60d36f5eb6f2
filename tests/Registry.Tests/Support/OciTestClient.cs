using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Registry.Oci;

namespace Registry.Tests.Support;

/// <summary>A small OCI client over plain HTTP, for pushing test content and reading errors.</summary>
public sealed class OciTestClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public static string NewRepository(string prefix = "it") => $"{prefix}/r{Guid.NewGuid():N}"[..24];

    public static string DigestOf(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    /// <summary>
    /// Polls DTR's scan summary of an image until its first entry has <paramref name="status"/> (6: completed) and
    /// returns that entry; fails after 30 s with the last summary and <paramref name="context"/> (a host's log, say).
    /// </summary>
    public async Task<JsonElement> WaitForScanAsync(string repo, string reference, string? arch = null, int status = 6, Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var query = arch is null ? "" : $"?os=linux&arch={arch}";
        while (true)
        {
            using var response = await Http.GetAsync($"/api/v0/imagescan/scansummary/repositories/{repo}/{reference}{query}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var summary = JsonDocument.Parse(body).RootElement[0].Clone();
            if (summary.GetProperty("scanStatus").GetInt32() == status)
            {
                return summary;
            }

            Assert.True(DateTime.UtcNow < deadline, $"scan of {repo}:{reference} not done: {body}\n{context?.Invoke()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Pushes a blob in one POST with ?digest=; returns its digest.</summary>
    public async Task<string> PushBlobAsync(string repository, byte[] content)
    {
        var digest = DigestOf(content);
        using var response = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    public async Task<HttpResponseMessage> PutManifestAsync(string repository, string reference, string json, string mediaType = MediaTypes.ImageManifest)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await Http.PutAsync($"/v2/{repository}/manifests/{reference}", content);
    }

    /// <summary>Pushes a config, one random layer and an image manifest tagged <paramref name="tag"/>.</summary>
    public async Task<PushedImage> PushImageAsync(string repository, string tag, string? subjectJson = null, string? artifactType = null, byte[]? layer = null)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"{Guid.NewGuid():N}\"}}");
        layer ??= RandomBytes(1024);
        var configDigest = await PushBlobAsync(repository, config);
        var layerDigest = await PushBlobAsync(repository, layer);
        var manifest = ImageManifestJson(configDigest, config.Length, layerDigest, layer.Length, subjectJson, artifactType);
        using var response = await PutManifestAsync(repository, tag, manifest);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var digest = DigestOf(Encoding.UTF8.GetBytes(manifest));
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        return new PushedImage(digest, manifest, layerDigest, layer);
    }

    public static string ImageManifestJson(string configDigest, long configSize, string layerDigest, long layerSize, string? subjectJson = null, string? artifactType = null)
    {
        var subject = subjectJson is null ? "" : $",\"subject\":{subjectJson}";
        var type = artifactType is null ? "" : $",\"artifactType\":\"{artifactType}\"";
        return $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\"{type},\"config\":{{\"mediaType\":\"{MediaTypes.ImageConfig}\",\"digest\":\"{configDigest}\",\"size\":{configSize}}}," +
               $"\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{layerDigest}\",\"size\":{layerSize}}}]{subject}}}";
    }

    /// <summary>Sends one chunk of an upload with the spec's Content-Range form (<c>start-end</c>).</summary>
    public async Task<HttpResponseMessage> PatchAsync(string location, byte[] chunk, string contentRange)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(chunk) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        return await Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> HeadAsync(string path) => Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

    /// <summary>Reads the first error code of an OCI error envelope.</summary>
    public static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("errors")[0].GetProperty("code").GetString()!;
    }

    /// <summary>Follows a blob GET (307 to storage) and returns the bytes.</summary>
    public async Task<byte[]> GetBlobAsync(string repository, string digest)
    {
        using var response = await Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        if (response.StatusCode == HttpStatusCode.TemporaryRedirect)
        {
            using var storage = new HttpClient();
            return await storage.GetByteArrayAsync(response.Headers.Location);
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }
}

public sealed record PushedImage(string Digest, string Manifest, string LayerDigest, byte[] Layer);
