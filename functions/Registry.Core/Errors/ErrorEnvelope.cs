using System.Text.Json.Serialization;

namespace Registry.Errors;

/// <summary>The body of every error answer on /v2/: <c>{"errors":[{"code","message","detail"}]}</c>.</summary>
public sealed record ErrorEnvelope([property: JsonPropertyName("errors")] IReadOnlyList<ErrorEntry> Errors)
{
    public static ErrorEnvelope From(RegistryException exception) =>
        new([new ErrorEntry(OciErrors.Describe(exception.Code).Code, exception.Message, exception.Detail)]);
}

/// <summary>One error of the envelope.</summary>
public sealed record ErrorEntry(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("detail")] IReadOnlyDictionary<string, string>? Detail);
