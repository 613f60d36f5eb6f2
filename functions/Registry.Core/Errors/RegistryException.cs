namespace Registry.Errors;

/// <summary>
/// A failure the client caused or must know about, answered with the OCI error envelope.
/// <paramref name="status"/> overrides the table's status where the spec asks for another (413, 416).
/// </summary>
public sealed class RegistryException(
    OciErrorCode code,
    string? message = null,
    IReadOnlyDictionary<string, string>? detail = null,
    int? status = null)
    : Exception(message ?? OciErrors.Describe(code).Message)
{
    public OciErrorCode Code { get; } = code;

    public IReadOnlyDictionary<string, string>? Detail { get; } = detail;

    public int Status { get; } = status ?? OciErrors.Describe(code).Status;

    /// <summary>Headers the answer must carry (WWW-Authenticate of a 401, Allow of a 405, Range of a 416).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public RegistryException WithHeader(string name, string value)
    {
        Headers[name] = value;
        return this;
    }

    public static RegistryException Of(OciErrorCode code, string message, string detailKey, string detailValue, int? status = null) =>
        new(code, message, new Dictionary<string, string> { [detailKey] = detailValue }, status);
}
