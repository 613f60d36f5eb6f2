namespace Registry.Errors;

/// <summary>The 14 error codes of distribution-spec spec.md "Error Codes"; no others.</summary>
public enum OciErrorCode
{
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
}
