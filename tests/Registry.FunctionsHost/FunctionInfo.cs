using System.Text.Json;
using System.Text.RegularExpressions;
using Registry.FunctionsHost.Rpc;

namespace Registry.FunctionsHost;

/// <summary>One binding of an indexed function, as its raw JSON names it, with <c>%setting%</c> expressions resolved.</summary>
public sealed record FunctionBinding(string Name, string Type, string Direction, JsonElement Raw)
{
    public string? Property(string name) =>
        Raw.EnumerateObject().FirstOrDefault(p => p.NameEquals(name) || string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) is
            { Value.ValueKind: JsonValueKind.String } p ? p.Value.GetString() : null;

    /// <summary>The methods of an HTTP trigger, upper case (read once: every request is matched against them).</summary>
    public IReadOnlySet<string> Methods { get; } =
        Raw.TryGetProperty("methods", out var methods) && methods.ValueKind == JsonValueKind.Array
            ? methods.EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal)
            : [];

    /// <summary>The route of an HTTP trigger.</summary>
    public string Route { get; } = Raw.TryGetProperty("route", out var route) && route.ValueKind == JsonValueKind.String ? route.GetString()! : "";
}

/// <summary>A function the worker indexed and loaded: its id, name and bindings (the trigger among them).</summary>
public sealed partial record FunctionInfo(string Id, string Name, RpcFunctionMetadata Metadata, IReadOnlyList<FunctionBinding> Bindings)
{
    public FunctionBinding Trigger { get; } = Bindings.Single(b => b.Direction == "in" && b.Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Reads the raw bindings of the worker's metadata and resolves <c>%setting%</c> expressions from configuration
    /// as the Functions host does; a setting that does not resolve is an indexing error of that function.
    /// </summary>
    public static FunctionInfo Index(RpcFunctionMetadata metadata, IConfiguration configuration)
    {
        var bindings = new List<FunctionBinding>();
        foreach (var raw in metadata.RawBindings)
        {
            var resolved = SettingExpression().Replace(raw, m =>
            {
                var value = configuration[m.Groups[1].Value];
                return string.IsNullOrEmpty(value)
                    ? throw new InvalidOperationException(
                        $"Error indexing function '{metadata.Name}': '%{m.Groups[1].Value}%' does not resolve to a value.")
                    : JsonEncodedText.Encode(value).ToString();
            });
            using var document = JsonDocument.Parse(resolved);
            var root = document.RootElement.Clone();
            bindings.Add(new FunctionBinding(
                root.GetProperty("name").GetString()!,
                root.GetProperty("type").GetString()!,
                root.GetProperty("direction").GetString()!.ToLowerInvariant(),
                root));
        }

        var id = string.IsNullOrEmpty(metadata.FunctionId) ? Guid.NewGuid().ToString() : metadata.FunctionId;
        return new FunctionInfo(id, metadata.Name, metadata, bindings);
    }

    /// <summary>The load request of this function: its metadata with the binding map the worker builds its definition from.</summary>
    public FunctionLoadRequest ToLoadRequest()
    {
        var metadata = Metadata.Clone();
        metadata.FunctionId = Id;
        metadata.Bindings.Clear();
        foreach (var binding in Bindings)
        {
            metadata.Bindings[binding.Name] = new BindingInfo
            {
                Type = binding.Type,
                Direction = binding.Direction switch
                {
                    "out" => BindingInfo.Types.Direction.Out,
                    "inout" => BindingInfo.Types.Direction.Inout,
                    _ => BindingInfo.Types.Direction.In,
                },
                DataType = binding.Property("dataType")?.ToLowerInvariant() switch
                {
                    "string" => BindingInfo.Types.DataType.String,
                    "binary" => BindingInfo.Types.DataType.Binary,
                    "stream" => BindingInfo.Types.DataType.Stream,
                    _ => BindingInfo.Types.DataType.Undefined,
                },
            };
        }

        return new FunctionLoadRequest { FunctionId = Id, Metadata = metadata };
    }

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();
}
