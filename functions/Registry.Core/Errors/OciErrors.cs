namespace Registry.Errors;

/// <summary>One row of the error table: the wire code, its default message and HTTP status.</summary>
public sealed record OciErrorDescriptor(string Code, string Message, int Status);

/// <summary>
/// The error table: every <see cref="OciErrorCode"/> with the wire string and message of the spec and the
/// status distribution registers for it (registry/api/errcode/register.go, registry/api/v2/errors.go).
/// </summary>
public static class OciErrors
{
    public static readonly IReadOnlyDictionary<OciErrorCode, OciErrorDescriptor> Table = new Dictionary<OciErrorCode, OciErrorDescriptor>
    {
        [OciErrorCode.BlobUnknown] = new("BLOB_UNKNOWN", "blob unknown to registry", 404),
        [OciErrorCode.BlobUploadInvalid] = new("BLOB_UPLOAD_INVALID", "blob upload invalid", 400),
        [OciErrorCode.BlobUploadUnknown] = new("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404),
        [OciErrorCode.DigestInvalid] = new("DIGEST_INVALID", "provided digest did not match uploaded content", 400),
        [OciErrorCode.ManifestBlobUnknown] = new("MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", 400),
        [OciErrorCode.ManifestInvalid] = new("MANIFEST_INVALID", "manifest invalid", 400),
        [OciErrorCode.ManifestUnknown] = new("MANIFEST_UNKNOWN", "manifest unknown to registry", 404),
        [OciErrorCode.NameInvalid] = new("NAME_INVALID", "invalid repository name", 400),
        [OciErrorCode.NameUnknown] = new("NAME_UNKNOWN", "repository name not known to registry", 404),
        [OciErrorCode.SizeInvalid] = new("SIZE_INVALID", "provided length did not match content length", 400),
        [OciErrorCode.Unauthorized] = new("UNAUTHORIZED", "authentication required", 401),
        [OciErrorCode.Denied] = new("DENIED", "requested access to the resource is denied", 403),
        [OciErrorCode.Unsupported] = new("UNSUPPORTED", "the operation is unsupported", 405),
        [OciErrorCode.TooManyRequests] = new("TOOMANYREQUESTS", "too many requests", 429),
    };

    public static OciErrorDescriptor Describe(OciErrorCode code) => Table[code];
}
