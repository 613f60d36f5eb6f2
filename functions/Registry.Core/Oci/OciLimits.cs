namespace Registry.Oci;

/// <summary>Named limits of the registry.</summary>
public static class OciLimits
{
    /// <summary>Largest manifest accepted (distribution-spec: registries SHOULD accept at least 4 MiB).</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    /// <summary>Largest page of tags or repositories one request returns.</summary>
    public const int MaxPageSize = 1000;
}
