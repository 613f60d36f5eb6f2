using Registry.Auth;
using Registry.Caching;
using Registry.Errors;
using Registry.Mirroring;
using Registry.Oci;
using Registry.Records;
using Registry.Services;

namespace Registry.Dtr;

/// <summary>
/// DTR's mirroring: a push by hand (<c>POST …/tags/&lt;tag&gt;/pushMirroring</c>), the check of a remote registry's
/// credentials (<c>POST /api/v0/remote/registry</c>), both with credentials that come with the call and are not kept,
/// and the push and poll mirroring policies of a repository (<c>pushMirroringPolicies</c>, <c>pollMirroringPolicies</c>,
/// <c>mirroringPolicies</c>), whose credentials are kept sealed and never shown.
/// </summary>
public sealed class MirroringApiService(RepositoryApiService repositories, MirroringService mirroring, MirroringPolicyService policies)
{
    /// <summary>Pushes a tag the caller may read to a remote repository, under <c>remoteTag</c> (the same tag when empty).</summary>
    public async Task<MirroringView> PushTagAsync(Principal principal, string ns, string repo, string tag, RemoteForm form, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var remote = Remote(form);
        if (!Tag.TryParse(tag, out var local))
        {
            throw new DtrException(DtrError.NoSuchTag, $"no tag {tag} in {name}");
        }

        var remoteTag = string.IsNullOrEmpty(form.RemoteTag) ? local
            : Tag.TryParse(form.RemoteTag, out var named) ? named : throw Invalid("remoteTag: not a valid tag");
        try
        {
            var result = await mirroring.PushTagAsync(name, local, remote, remoteTag, cancellationToken);
            return new MirroringView("", result.Digest.ToString(), result.RemoteRepository.Value, result.RemoteTag.Value);
        }
        catch (RegistryException e) when (e.Code == OciErrorCode.ManifestUnknown)
        {
            throw new DtrException(DtrError.NoSuchTag, $"no tag {tag} in {name}");
        }
        catch (UpstreamUnavailableException e)
        {
            throw Remote(e);
        }
    }

    /// <summary>What the remote lets the given account do with the repository.</summary>
    public async Task<RemoteRegistryCheckView> CheckAsync(RemoteForm form, CancellationToken cancellationToken = default)
    {
        try
        {
            var check = await mirroring.CheckAsync(Remote(form), cancellationToken);
            return new RemoteRegistryCheckView(check.IsDtr ? "dtr" : "registry", new RemotePermissionsView(check.Read, check.Write));
        }
        catch (UpstreamUnavailableException e)
        {
            throw Remote(e);
        }
    }

    /// <summary>A repository's policies of one direction (<paramref name="direction"/>), or of both (null); read access.</summary>
    public async Task<IReadOnlyList<MirroringPolicyView>> ListPoliciesAsync(
        Principal principal, string ns, string repo, string? direction, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return (await policies.ListAsync(name, direction, cancellationToken)).OrderBy(p => p.Id, StringComparer.Ordinal).Select(p => View(p, direction is null)).ToList();
    }

    /// <summary>Both kinds in one list, paged by id, each with its <c>mirroringType</c>.</summary>
    public async Task<(IReadOnlyList<MirroringPolicyView> Policies, string? Next)> ListAllPoliciesAsync(
        Principal principal, string ns, string repo, string? pageStart, int pageSize, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        var (page, next) = Paging.Page(await policies.ListAsync(name, null, cancellationToken), p => p.Id, pageStart, pageSize);
        return (page.Select(p => View(p, true)).ToList(), next);
    }

    public async Task<MirroringPolicyView> GetPolicyAsync(Principal principal, string ns, string repo, string direction, string id, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.ReadOnly, cancellationToken);
        return View(await RequirePolicyAsync(name, direction, id, cancellationToken), false);
    }

    /// <summary>
    /// Creates (<paramref name="id"/> null) or changes a policy; admin on the local repository. The remote is checked
    /// with the account given: a push policy needs to push there, a poll policy to pull. A change of the remote's host,
    /// account or TLS trust needs the password again, so that kept credentials cannot be sent elsewhere. With
    /// <paramref name="initialEvaluation"/>, a push policy queues the repository's tags that meet its rules and a poll
    /// policy runs at once.
    /// </summary>
    public async Task<MirroringPolicyView> SavePolicyAsync(
        Principal principal, string ns, string repo, string direction, string? id, MirroringPolicyBody body, bool initialEvaluation,
        CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        var policy = id is null ? new MirroringPolicy { Repository = name.Value, Direction = direction } : await RequirePolicyAsync(name, direction, id, cancellationToken);
        var create = id is null;
        if (direction == MirroringPolicy.Push)
        {
            if (create || body.Rules is not null)
            {
                policy.Rules = PolicyRule.Store(body.Rules is { Count: 0 } ? [] : RepositoryApiService.CheckRules(body.Rules));
            }

            if (create || body.TagTemplate is not null)
            {
                policy.TagTemplate = TagTemplate.Validate(body.TagTemplate) is { } problem ? throw Invalid(problem) : body.TagTemplate!;
            }
        }

        var password = NewPassword(body);
        var remote = Remote(new RemoteForm(body.RemoteHost ?? (create ? null : policy.RemoteHost), body.RemoteRepository ?? (create ? null : policy.RemoteRepository),
            null, body.RemoteCa ?? policy.RemoteCa, body.SkipTlsVerification ?? policy.SkipTlsVerification, body.Username ?? policy.Username, password, null));
        var host = remote.Host.GetLeftPart(UriPartial.Authority);
        if (!create && password is null && (host != policy.RemoteHost || (remote.Username ?? "") != policy.Username
            || (remote.CaPem ?? "") != policy.RemoteCa || remote.SkipTlsVerification != policy.SkipTlsVerification))
        {
            throw Invalid("password: the remote's host, account or TLS trust changed, so its password (or authToken) is needed again");
        }

        policy.Enabled = body.Enabled ?? policy.Enabled;
        policy.RemoteHost = host;
        policy.RemoteRepository = remote.Repository.Value;
        policy.RemoteCa = remote.CaPem ?? "";
        policy.SkipTlsVerification = remote.SkipTlsVerification;
        policy.Username = remote.Username ?? "";
        await RequireAllowedAsync(password is null ? await KeptRemoteAsync(policy, cancellationToken) : remote, direction, cancellationToken);
        policy = await policies.SaveAsync(policy, password, cancellationToken);
        if (initialEvaluation && policy.Enabled)
        {
            if (direction == MirroringPolicy.Push)
            {
                await policies.EvaluateAsync(policy, cancellationToken);
            }
            else
            {
                await policies.QueuePollAsync(policy, cancellationToken);
            }
        }

        return View(policy, false);
    }

    /// <summary>Deletes a policy; admin on the local repository. One that does not exist is deleted already (DTR's 204).</summary>
    public async Task DeletePolicyAsync(Principal principal, string ns, string repo, string? direction, string id, CancellationToken cancellationToken = default)
    {
        var (name, _) = await repositories.RequireAsync(principal, ns, repo, AccessLevel.Admin, cancellationToken);
        if (await policies.GetOrNullAsync(name, id, cancellationToken) is { } policy && (direction is null || policy.Direction == direction))
        {
            await policies.DeleteAsync(name, id, cancellationToken);
        }
    }

    /// <summary>DTR's <c>DELETE …/mirroringPolicies</c>: the policies of either kind with the ids given.</summary>
    public async Task DeletePoliciesAsync(Principal principal, string ns, string repo, IReadOnlyList<MirroringPolicyIdBody>? ids, CancellationToken cancellationToken = default)
    {
        if (ids is null || ids.Any(i => string.IsNullOrEmpty(i?.Id)))
        {
            throw Invalid("a list of {\"id\": <policy id>}");
        }

        foreach (var id in ids.Select(i => i.Id!).Distinct(StringComparer.Ordinal))
        {
            await DeletePolicyAsync(principal, ns, repo, null, id, cancellationToken);
        }
    }

    private async Task<MirroringPolicy> RequirePolicyAsync(RepositoryName name, string direction, string id, CancellationToken cancellationToken) =>
        await policies.GetOrNullAsync(name, id, cancellationToken) is { } policy && policy.Direction == direction ? policy
            : throw new DtrException(direction == MirroringPolicy.Push ? DtrError.NoSuchPushMirroringPolicy : DtrError.NoSuchPollMirroringPolicy,
                $"no {direction} mirroring policy {id}");

    /// <summary>The remote with the password the policy keeps; one that can no longer be unsealed must be given again.</summary>
    private async Task<RemoteRepository> KeptRemoteAsync(MirroringPolicy policy, CancellationToken cancellationToken)
    {
        try
        {
            return await policies.RemoteOfAsync(policy, cancellationToken);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw Invalid("password: the kept password can no longer be read; give it (or authToken) again");
        }
    }

    /// <summary>A push policy's account must be able to push to the remote repository, a poll policy's to pull from it.</summary>
    private async Task RequireAllowedAsync(RemoteRepository remote, string direction, CancellationToken cancellationToken)
    {
        RemoteCheck check;
        try
        {
            check = await mirroring.CheckAsync(remote, cancellationToken);
        }
        catch (UpstreamUnavailableException e)
        {
            throw Remote(e);
        }

        if (direction == MirroringPolicy.Push ? !check.Write : !check.Read)
        {
            throw new DtrException(DtrError.RemoteRegistryInvalidPermissions,
                $"the account may not {(direction == MirroringPolicy.Push ? "push to" : "pull from")} {remote.Repository} at {remote.Host}");
        }
    }

    /// <summary>The password a form gives (an auth token stands for it), or null when it gives none.</summary>
    private static string? NewPassword(MirroringPolicyBody body) =>
        !string.IsNullOrEmpty(body.Password) ? body.Password : !string.IsNullOrEmpty(body.AuthToken) ? body.AuthToken : null;

    private static MirroringPolicyView View(MirroringPolicy p, bool withType)
    {
        var push = p.Direction == MirroringPolicy.Push;
        return new MirroringPolicyView(p.Id, withType ? p.Direction : null, push ? PolicyRule.Load(p.Rules) : null, p.Username, p.Repository, p.RemoteHost,
            p.RemoteRepository, p.RemoteCa, p.SkipTlsVerification, push ? p.TagTemplate : null, p.Enabled, GoTime.Format(p.LastMirroredAt),
            new MirroringStatusView(p.LastStatus, p.LastStatusDetail, GoTime.Format(p.LastStatusAt)));
    }

    /// <summary>The remote a form names: an http(s) address (https when no scheme is given), a repository, an account (a token stands for the password).</summary>
    private static RemoteRepository Remote(RemoteForm form)
    {
        var host = form.RemoteHost?.Trim() ?? "";
        if (!host.Contains("://", StringComparison.Ordinal))
        {
            host = "https://" + host;
        }

        if (!Uri.TryCreate(host, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw Invalid("remoteHost: an http(s) address of a registry, such as https://registry.example.com");
        }

        if (!RepositoryName.TryParse(form.RemoteRepository, out var repository))
        {
            throw Invalid("remoteRepository: a repository name, such as team/app");
        }

        var password = string.IsNullOrEmpty(form.Password) ? form.AuthToken : form.Password;
        try
        {
            if (!string.IsNullOrWhiteSpace(form.RemoteCa))
            {
                System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(form.RemoteCa);
            }
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw Invalid("remoteCA: a PEM certificate");
        }

        return new RemoteRepository(uri, repository, string.IsNullOrEmpty(form.Username) ? null : form.Username, password,
            string.IsNullOrWhiteSpace(form.RemoteCa) ? null : form.RemoteCa, form.SkipTlsVerification ?? false);
    }

    private static DtrException Remote(UpstreamUnavailableException e) => e.Refused
        ? new DtrException(DtrError.RemoteRegistryInvalidPermissions, e.Message)
        : new DtrException(DtrError.RemoteRegistryUnavailable, e.Message);

    private static DtrException Invalid(string message) => new(DtrError.InvalidFormField, message);
}
