using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Registry.Caching;

/// <summary>
/// The origin's token keys, as a cache of it validates the origin's tokens: its JSON Web Key Set (<c>/auth/jwks</c>),
/// read again every five minutes, and at once (at most every 30 seconds) when a token names a key not yet known, which
/// is how a rotation at the origin reaches the cache. While the origin cannot be reached the keys last read stay in use,
/// so cached content is still served to the origin's users.
/// </summary>
public sealed partial class OriginKeys(UpstreamRegistry upstream, TimeProvider time, ILogger<OriginKeys> logger)
{
    private static readonly TimeSpan RereadAfter = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan UnknownKidPause = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IReadOnlyList<SecurityKey>? _keys;
    private DateTimeOffset _readAt;

    /// <summary>The keys that validate the origin's tokens; <paramref name="kid"/> is the key a token names.</summary>
    public async Task<IReadOnlyList<SecurityKey>> GetKeysAsync(string? kid, CancellationToken cancellationToken = default)
    {
        var keys = _keys;
        var age = time.GetUtcNow() - _readAt;
        var known = keys is not null && (kid is null || keys.Any(k => k.KeyId == kid));
        if (keys is not null && age < RereadAfter && (known || age < UnknownKidPause))
        {
            return keys;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_keys is not null && !ReferenceEquals(_keys, keys))
            {
                return _keys;   // read by another request meanwhile
            }

            try
            {
                var set = new JsonWebKeySet(await upstream.GetKeySetAsync(cancellationToken));
                _keys = set.GetSigningKeys().Where(k => k is ECDsaSecurityKey or JsonWebKey).ToList();
            }
            catch (Exception e) when (_keys is not null && e is UpstreamUnavailableException or ArgumentException)
            {
                LogStaleKeys(logger, e.Message);
            }

            _readAt = time.GetUtcNow();
            return _keys ?? [];
        }
        catch (ArgumentException e)
        {
            throw new UpstreamUnavailableException($"the origin's key set cannot be read: {e.Message}", null, e);
        }
        finally
        {
            _lock.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The origin's token keys could not be read again; the keys read before stay in use: {Reason}")]
    private static partial void LogStaleKeys(ILogger logger, string reason);
}
