using Registry.Auth;
using Registry.Caching;
using Registry.Errors;
using Registry.Mirroring;
using Registry.Oci;

namespace Registry.Dtr;

/// <summary>
/// DTR's push mirroring by hand (<c>POST …/tags/&lt;tag&gt;/pushMirroring</c>) and its check of a remote registry's
/// credentials (<c>POST /api/v0/remote/registry</c>). Credentials come with each call and are not kept.
/// </summary>
public sealed class MirroringApiService(RepositoryApiService repositories, MirroringService mirroring)
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

        return new RemoteRepository(uri, repository, string.IsNullOrEmpty(form.Username) ? null : form.Username, password, form.RemoteCa, form.SkipTlsVerification ?? false);
    }

    private static DtrException Remote(UpstreamUnavailableException e) => e.Refused
        ? new DtrException(DtrError.RemoteRegistryInvalidPermissions, e.Message)
        : new DtrException(DtrError.RemoteRegistryUnavailable, e.Message);

    private static DtrException Invalid(string message) => new(DtrError.InvalidFormField, message);
}
