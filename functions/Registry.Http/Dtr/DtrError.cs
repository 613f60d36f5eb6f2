using System.Text.Json.Serialization;

namespace Registry.Dtr;

/// <summary>The error codes of /api/v0 and /enzi/v0, in DTR's shape (<c>{"errors":[{"code","message"}]}</c>).</summary>
public enum DtrError
{
    NotAuthenticated,
    NotAuthorized,
    NoSuchRepository,
    NoSuchAccount,
    NoSuchTeam,
    NoSuchTag,
    NoSuchRef,
    NoSuchToken,
    NoSuchUser,
    NoSuchMember,
    RepositoryExists,
    AccountExists,
    TeamExists,
    InvalidJson,
    InvalidRepositoryName,
    InvalidRepositoryVisibility,
    InvalidAccessLevel,
    InvalidFormField,
    InvalidParameter,
    InvalidDigest,
    InvalidSettings,
    TooManyRequests,
    NotFound,
    MethodNotAllowed,
    Conflict,
    TagImmutable,
    TagInNotary,
    NoSuchPruningPolicy,
    NoSuchPromotionPolicy,
    NoSuchPushMirroringPolicy,
    NoSuchPollMirroringPolicy,
    NoSuchSigningPolicy,
    NoSuchTrustPolicy,
    NoSuchNamespaceTeamAccess,
    NoSuchWebhook,
    NoSuchJob,
    NoSuchContentCache,
    Unavailable,
    RemoteRegistryInvalidPermissions,
    RemoteRegistryUnavailable,
}

/// <summary>The one table of DTR error codes: wire code and status.</summary>
public static class DtrErrors
{
    public static readonly IReadOnlyDictionary<DtrError, (string Code, int Status)> Table = new Dictionary<DtrError, (string, int)>
    {
        [DtrError.NotAuthenticated] = ("NOT_AUTHENTICATED", 401),
        [DtrError.NotAuthorized] = ("NOT_AUTHORIZED", 403),
        [DtrError.NoSuchRepository] = ("NO_SUCH_REPOSITORY", 404),
        [DtrError.NoSuchAccount] = ("NO_SUCH_ACCOUNT", 404),
        [DtrError.NoSuchTeam] = ("NO_SUCH_TEAM", 404),
        [DtrError.NoSuchTag] = ("NO_SUCH_TAG", 404),
        [DtrError.NoSuchRef] = ("NO_SUCH_REF", 404),
        [DtrError.NoSuchToken] = ("NO_SUCH_API_TOKEN", 404),
        [DtrError.NoSuchUser] = ("NO_SUCH_USER", 404),
        [DtrError.NoSuchMember] = ("NO_SUCH_MEMBER", 404),
        [DtrError.RepositoryExists] = ("REPOSITORY_EXISTS", 400),
        [DtrError.AccountExists] = ("ACCOUNT_EXISTS", 400),
        [DtrError.TeamExists] = ("TEAM_EXISTS", 400),
        [DtrError.InvalidJson] = ("INVALID_JSON", 400),
        [DtrError.InvalidRepositoryName] = ("INVALID_REPOSITORY_NAME", 400),
        [DtrError.InvalidRepositoryVisibility] = ("INVALID_REPOSITORY_VISIBILITY", 400),
        [DtrError.InvalidAccessLevel] = ("INVALID_ACCESS_LEVEL", 400),
        [DtrError.InvalidFormField] = ("INVALID_FORM_FIELD", 400),
        [DtrError.InvalidParameter] = ("INVALID_PARAMETER", 400),
        [DtrError.InvalidDigest] = ("INVALID_DIGEST", 400),
        [DtrError.InvalidSettings] = ("INVALID_SETTINGS", 400),
        [DtrError.TooManyRequests] = ("TOO_MANY_REQUESTS", 429),
        [DtrError.NotFound] = ("NOT_FOUND", 404),
        [DtrError.MethodNotAllowed] = ("METHOD_NOT_ALLOWED", 405),
        [DtrError.Conflict] = ("CONFLICT", 409),
        [DtrError.TagImmutable] = ("TAG_IMMUTABLE", 403),
        [DtrError.TagInNotary] = ("TAG_IN_NOTARY", 403),
        [DtrError.NoSuchPruningPolicy] = ("NO_SUCH_PRUNING_POLICY", 404),
        [DtrError.NoSuchPromotionPolicy] = ("NO_SUCH_PROMOTION_POLICY", 404),
        [DtrError.NoSuchPushMirroringPolicy] = ("NO_SUCH_PUSH_MIRRORING_POLICY", 404),
        [DtrError.NoSuchPollMirroringPolicy] = ("NO_SUCH_POLL_MIRRORING_POLICY", 404),
        [DtrError.NoSuchSigningPolicy] = ("NO_SUCH_SIGNING_POLICY", 404),
        [DtrError.NoSuchTrustPolicy] = ("NO_SUCH_TRUST_POLICY", 404),
        [DtrError.NoSuchNamespaceTeamAccess] = ("NO_SUCH_NAMESPACE_TEAM_ACCESS", 404),
        [DtrError.NoSuchWebhook] = ("NO_SUCH_WEBHOOK", 404),
        [DtrError.NoSuchJob] = ("NO_SUCH_JOB", 404),
        [DtrError.NoSuchContentCache] = ("NO_SUCH_CONTENT_CACHE", 404),
        [DtrError.Unavailable] = ("SERVICE_UNAVAILABLE", 503),
        [DtrError.RemoteRegistryInvalidPermissions] = ("REMOTE_REGISTRY_INVALID_PERMISSIONS", 400),
        [DtrError.RemoteRegistryUnavailable] = ("REMOTE_REGISTRY_UNAVAILABLE", 502),
    };
}

/// <summary>A failure of /api/v0 or /enzi/v0, answered in DTR's error shape.</summary>
public sealed class DtrException(DtrError error, string message) : Exception(message)
{
    public DtrError Error { get; } = error;

    public int Status => DtrErrors.Table[Error].Status;
}

/// <summary>DTR's error body.</summary>
public sealed record DtrErrorBody([property: JsonPropertyName("errors")] IReadOnlyList<DtrErrorEntry> Errors);

public sealed record DtrErrorEntry([property: JsonPropertyName("code")] string Code, [property: JsonPropertyName("message")] string Message);
