namespace Registry.Trust;

/// <summary>The error codes of the Notary server API (notary server/errors), the ones this registry answers.</summary>
public enum TrustErrorCode
{
    InvalidRole,
    MalformedJson,
    OldVersion,
    MetadataNotFound,
    InvalidUpdate,
    MalformedUpload,
    InvalidGun,
}

/// <summary>
/// What a Notary client is told about a refused validation: the name of the Notary validation error the client knows
/// (ErrBadRoot, ErrBadTargets, ErrBadSnapshot, ErrBadHierarchy, ErrValidation), which it prints with the message.
/// </summary>
public enum TrustValidation
{
    None,
    Root,
    Targets,
    Snapshot,
    Hierarchy,
    Other,
}

/// <summary>One row of the Notary error table: wire code, message and status.</summary>
public sealed record TrustErrorDescriptor(string Code, string Message, int Status);

/// <summary>The one error table of the trust API, as notary-server registers its codes.</summary>
public static class TrustErrors
{
    public static readonly IReadOnlyDictionary<TrustErrorCode, TrustErrorDescriptor> Table = new Dictionary<TrustErrorCode, TrustErrorDescriptor>
    {
        [TrustErrorCode.InvalidRole] = new("INVALID_ROLE", "The role you are attempting to operate on is invalid.", 400),
        [TrustErrorCode.MalformedJson] = new("MALFORMED_JSON", "JSON sent by the client could not be parsed by the server", 400),
        [TrustErrorCode.OldVersion] = new("VERSION", "A newer version of metadata is already available.", 400),
        [TrustErrorCode.MetadataNotFound] = new("METADATA_NOT_FOUND", "You have requested metadata that does not exist.", 404),
        [TrustErrorCode.InvalidUpdate] = new("INVALID_UPDATE", "Update sent by the client is invalid.", 400),
        [TrustErrorCode.MalformedUpload] = new("MALFORMED_UPLOAD", "The body of your request is malformed.", 400),
        [TrustErrorCode.InvalidGun] = new("INVALID_GUN", "The GUN specified is invalid.", 400),
    };

    /// <summary>The name the Notary client's validation errors go by on the wire.</summary>
    public static string? WireName(TrustValidation validation) => validation switch
    {
        TrustValidation.Root => "ErrBadRoot",
        TrustValidation.Targets => "ErrBadTargets",
        TrustValidation.Snapshot => "ErrBadSnapshot",
        TrustValidation.Hierarchy => "ErrBadHierarchy",
        TrustValidation.Other => "ErrValidation",
        _ => null,
    };
}

/// <summary>A request the trust API refuses, with the Notary code and, for refused metadata, the validation that failed.</summary>
public sealed class TrustException(TrustErrorCode code, string message, TrustValidation validation = TrustValidation.None) : Exception(message)
{
    public TrustErrorCode Code { get; } = code;

    public TrustValidation Validation { get; } = validation;

    public static TrustException BadRoot(string message) => new(TrustErrorCode.InvalidUpdate, message, TrustValidation.Root);

    public static TrustException BadTargets(string message) => new(TrustErrorCode.InvalidUpdate, message, TrustValidation.Targets);

    public static TrustException BadSnapshot(string message) => new(TrustErrorCode.InvalidUpdate, message, TrustValidation.Snapshot);

    public static TrustException BadHierarchy(string message) => new(TrustErrorCode.InvalidUpdate, message, TrustValidation.Hierarchy);

    public static TrustException NotFound(string what) => new(TrustErrorCode.MetadataNotFound, what);
}
