using Registry.Auth;
using Registry.Events;
using Registry.Records;

namespace Registry.Dtr;

/// <summary>
/// Webhooks over /api/v0 after DTR: a repository's types need admin access to the repository (key <c>ns/repo</c>),
/// REPO_EVENT admin access to the namespace (key <c>ns</c>), global types a system administrator (no key). The same
/// right is needed to see, change, delete or read the log of a webhook, judged as it is now, not when it was made.
/// </summary>
public sealed class WebhookApiService(RepositoryApiService repositories, WebhookService webhooks)
{
    /// <summary>Most deliveries one log read answers.</summary>
    public const int MaxLogPage = 100;

    /// <summary>Shortest secret a caller may choose.</summary>
    public const int MinSecretLength = 16;

    public async Task<WebhookView> CreateAsync(Principal principal, WebhookCreate body, CancellationToken cancellationToken = default)
    {
        var type = body.Type ?? throw Invalid("type is required");
        if (!EventTypes.Scopes.ContainsKey(type))
        {
            throw Invalid($"type must be one of {string.Join(", ", EventTypes.Scopes.Keys)}");
        }

        var key = await RequireRightAsync(principal, type, body.Key ?? "", cancellationToken);
        var endpoint = body.Endpoint ?? throw Invalid("endpoint is required");
        await CheckAsync(endpoint, body.TlsCert ?? "", body.Secret, cancellationToken);
        var (webhook, secret) = await webhooks.CreateAsync(new Webhook
        {
            Type = type, Key = key, Endpoint = endpoint, TlsCert = body.TlsCert ?? "", SkipTlsVerification = body.SkipTlsVerification ?? false,
            AuthorId = principal.AccountId ?? principal.Name ?? "",
        }, body.Secret, cancellationToken);
        return View(webhook) with { Secret = secret };
    }

    /// <summary>The webhooks the caller may manage now (all of them for a system administrator).</summary>
    public async Task<IReadOnlyList<WebhookView>> ListAsync(Principal principal, CancellationToken cancellationToken = default)
    {
        var all = await webhooks.ListAsync(cancellationToken);
        if (principal.IsAdmin)
        {
            return all.Select(View).ToList();
        }

        var allowed = new Dictionary<(string, string), bool>();
        var visible = new List<WebhookView>();
        foreach (var webhook in all)
        {
            var scope = (EventTypes.Scopes.GetValueOrDefault(webhook.Type).ToString(), webhook.Key);
            if (!allowed.TryGetValue(scope, out var may))
            {
                allowed[scope] = may = await MayManageAsync(principal, webhook, cancellationToken);
            }

            if (may)
            {
                visible.Add(View(webhook));
            }
        }

        return visible;
    }

    /// <summary>A repository's webhooks (repository admins).</summary>
    public async Task<IReadOnlyList<WebhookView>> ListForRepositoryAsync(Principal principal, string ns, string repo, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        return (await webhooks.ListAsync(cancellationToken)).Where(w => w.Key == name.Value && EventTypes.Scopes.GetValueOrDefault(w.Type) == EventScope.Repository)
            .Select(View).ToList();
    }

    /// <summary>DTR's update: the fields given change; making a webhook active again clears its failures.</summary>
    public async Task<WebhookView> UpdateAsync(Principal principal, WebhookUpdate body, CancellationToken cancellationToken = default)
    {
        var webhook = await RequireAsync(principal, body.Id ?? throw Invalid("id is required"), cancellationToken);
        await CheckAsync(body.Endpoint ?? webhook.Endpoint, body.TlsCert ?? webhook.TlsCert, body.Secret, cancellationToken);
        webhook.Endpoint = body.Endpoint ?? webhook.Endpoint;
        webhook.TlsCert = body.TlsCert ?? webhook.TlsCert;
        webhook.SkipTlsVerification = body.SkipTlsVerification ?? webhook.SkipTlsVerification;
        if (body.Inactive is { } inactive && inactive != webhook.Inactive)
        {
            webhook.Inactive = inactive;
            webhook.FailedDeliveries = 0;
        }

        return await webhooks.UpdateAsync(webhook, body.Secret, cancellationToken) ? View(webhook)
            : throw new DtrException(DtrError.Conflict, "the webhook changed meanwhile; try again");
    }

    public async Task DeleteAsync(Principal principal, string id, CancellationToken cancellationToken = default)
    {
        await RequireAsync(principal, id, cancellationToken);
        await webhooks.DeleteAsync(id, cancellationToken);
    }

    /// <summary>A webhook's deliveries, newest first.</summary>
    public async Task<IReadOnlyList<WebhookDeliveryView>> ListDeliveriesAsync(Principal principal, string id, int limit, CancellationToken cancellationToken = default)
    {
        await RequireAsync(principal, id, cancellationToken);
        return (await webhooks.ListDeliveriesAsync(id, Math.Clamp(limit, 1, MaxLogPage), cancellationToken))
            .Select(d => new WebhookDeliveryView(d.EventId, d.Type, d.Attempt, d.Status, d.StatusCode, d.DurationMs, d.Error, d.At)).ToList();
    }

    /// <summary>DTR's test: a sample of the type posted to the endpoint now, and what came of it.</summary>
    public async Task<WebhookDeliveryView> TestAsync(WebhookTest body, CancellationToken cancellationToken = default)
    {
        var type = body.Type ?? throw Invalid("type is required");
        if (!EventTypes.Scopes.ContainsKey(type))
        {
            throw Invalid($"type must be one of {string.Join(", ", EventTypes.Scopes.Keys)}");
        }

        var endpoint = body.Endpoint ?? throw Invalid("endpoint is required");
        await CheckAsync(endpoint, body.TlsCert ?? "", null, cancellationToken);
        var outcome = await webhooks.TestAsync(type, endpoint, body.TlsCert ?? "", body.SkipTlsVerification ?? false, cancellationToken);
        return new WebhookDeliveryView("", type, 1, outcome.Delivered ? WebhookDelivery.Delivered : outcome.Refused ? WebhookDelivery.Refused : WebhookDelivery.Failed,
            outcome.StatusCode, outcome.DurationMs, outcome.Error, DateTimeOffset.UtcNow);
    }

    private async Task CheckAsync(string endpoint, string tlsCert, string? secret, CancellationToken cancellationToken)
    {
        if (await webhooks.CheckEndpointAsync(endpoint, cancellationToken) is { } endpointProblem)
        {
            throw Invalid(endpointProblem);
        }

        if (WebhookService.CheckTlsCert(tlsCert) is { } certificateProblem)
        {
            throw Invalid(certificateProblem);
        }

        if (secret is not null && (secret.Length < MinSecretLength || secret.Length > 256))
        {
            throw Invalid($"secret must be {MinSecretLength} to 256 characters");
        }
    }

    /// <summary>The key a webhook of <paramref name="type"/> is made with, once the caller's right to it is checked.</summary>
    private async Task<string> RequireRightAsync(Principal principal, string type, string key, CancellationToken cancellationToken)
    {
        switch (EventTypes.Scopes[type])
        {
            case EventScope.Repository:
                var slash = key.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0)
                {
                    throw Invalid($"a {type} webhook's key is a repository, ns/repo");
                }

                return (await repositories.RequireAsync(principal, key[..slash], key[(slash + 1)..], AccessLevel.Admin, cancellationToken)).Name.Value;
            case EventScope.Namespace:
                if (key.Length == 0 || key.Contains('/', StringComparison.Ordinal))
                {
                    throw Invalid($"a {type} webhook's key is a namespace");
                }

                await repositories.RequireNamespaceAdminAsync(principal, key, cancellationToken);
                return key;
            default:
                if (!principal.IsAdmin)
                {
                    throw RepositoryApiService.Deny(principal, $"{type} webhooks are for system administrators");
                }

                return key.Length == 0 ? "" : throw Invalid($"a {type} webhook has no key");
        }
    }

    private async Task<bool> MayManageAsync(Principal principal, Webhook webhook, CancellationToken cancellationToken)
    {
        try
        {
            await RequireRightAsync(principal, webhook.Type, webhook.Key, cancellationToken);
            return true;
        }
        catch (DtrException)
        {
            return false;
        }
    }

    /// <summary>A webhook the caller may manage; one they may not is answered as missing.</summary>
    private async Task<Webhook> RequireAsync(Principal principal, string id, CancellationToken cancellationToken)
    {
        var webhook = await webhooks.GetOrNullAsync(id, cancellationToken);
        return webhook is not null && (principal.IsAdmin || await MayManageAsync(principal, webhook, cancellationToken)) ? webhook
            : throw new DtrException(DtrError.NoSuchWebhook, $"there is no webhook {id}");
    }

    private static WebhookView View(Webhook w) =>
        new(w.Id, w.Type, w.Key, w.Endpoint, w.AuthorId, w.CreatedAt, w.LastSuccessfulAt, w.Inactive, w.TlsCert, w.SkipTlsVerification, w.FailedDeliveries);

    private static DtrException Invalid(string message) => new(DtrError.InvalidParameter, message);
}
