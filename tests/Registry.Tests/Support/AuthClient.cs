using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Registry.Tests.Support;

/// <summary>Helpers for a host with authentication on: tokens, Basic credentials and the DTR APIs.</summary>
public sealed class AuthClient(HttpClient http)
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "admin-password-for-tests";

    public static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["Registry__Auth__Enabled"] = "true",
        ["Registry__Auth__AdminPassword"] = AdminPassword,
    };

    public HttpClient Http { get; } = http;

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    /// <summary>A token from GET /auth/token; anonymous when <paramref name="user"/> is null.</summary>
    public async Task<string> GetTokenAsync(string? user, string? password, params string[] scopes)
    {
        var query = "service=registry" + string.Concat(scopes.Select(s => "&scope=" + Uri.EscapeDataString(s)));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?" + query);
        if (user is not null)
        {
            request.Headers.Authorization = Basic(user, password!);
        }

        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>Sends a request with a bearer token.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Http.SendAsync(request);
    }

    /// <summary>Calls /api/v0 or /enzi/v0 with Basic credentials (none when <paramref name="user"/> is null).</summary>
    public async Task<HttpResponseMessage> ApiAsync(HttpMethod method, string path, string? user, string? password, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (user is not null)
        {
            request.Headers.Authorization = Basic(user, password!);
        }

        return await Http.SendAsync(request);
    }

    /// <summary>An API call's JSON answer; fails the test, with the answer, unless its status is <paramref name="expected"/>.</summary>
    public async Task<JsonElement> JsonAsync(
        HttpMethod method, string path, string? user, string? password, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await ApiAsync(method, path, user, password, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>As the administrator; fails the test unless the call succeeds.</summary>
    public async Task AdminAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await ApiAsync(method, path, AdminUser, AdminPassword, body);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// Creates the administrator's repository admin/&lt;name&gt; with <paramref name="settings"/> and returns an OCI client
    /// whose requests carry a token for it (pull, push, delete).
    /// </summary>
    public async Task<OciTestClient> AdminRepositoryAsync(string name, object settings)
    {
        await AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", settings);
        return await AdminClientAsync($"repository:admin/{name}:pull,push,delete");
    }

    /// <summary>An OCI client whose requests carry the administrator's token for <paramref name="scopes"/>.</summary>
    public async Task<OciTestClient> AdminClientAsync(params string[] scopes)
    {
        var token = await GetTokenAsync(AdminUser, AdminPassword, scopes);
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = Http.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new OciTestClient(client);
    }

    /// <summary>The first error code of a DTR or OCI error body.</summary>
    public static async Task<string> ErrorCodeAsync(HttpResponseMessage response) => await OciTestClient.ErrorCodeAsync(response);
}
