namespace Registry.Records;

/// <summary>A pruning policy of a repository.</summary>
public sealed class PruningPolicy : StoredRecord
{
    public string Id { get; set; } = "";

    /// <summary>The repository's name.</summary>
    public string Repository { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>The rules, as the JSON array DTR's API carries.</summary>
    public string Rules { get; set; } = "[]";

    public DateTimeOffset? LastPrunedAt { get; set; }
}

/// <summary>A promotion policy of a source repository.</summary>
public sealed class PromotionPolicy : StoredRecord
{
    public string Id { get; set; } = "";

    /// <summary>The source repository's name.</summary>
    public string Source { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>The rules, as the JSON array DTR's API carries.</summary>
    public string Rules { get; set; } = "[]";

    /// <summary>The target repository's name (namespace/repository).</summary>
    public string TargetRepository { get; set; } = "";

    public string TagTemplate { get; set; } = "%n";

    public DateTimeOffset? LastPromotedAt { get; set; }
}

/// <summary>A signing policy of a repository: when its rules hold for a tag, the registry signs the image.</summary>
public sealed class SigningPolicy : StoredRecord
{
    public string Id { get; set; } = "";

    /// <summary>The repository's name.</summary>
    public string Repository { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>The rules, as the JSON array DTR's API carries.</summary>
    public string Rules { get; set; } = "[]";

    /// <summary>Whether the platform manifests of a signed index are signed too.</summary>
    public bool SignPlatforms { get; set; }

    public DateTimeOffset? LastSignedAt { get; set; }
}

/// <summary>
/// A trust policy of a repository or a namespace: whether pulls need a signature, and by whom. Its ETag is the
/// version pull decisions are kept under.
/// </summary>
public sealed class TrustPolicy : StoredRecord
{
    /// <summary>A repository's name, or a namespace.</summary>
    public string Scope { get; set; } = "";

    /// <summary>True when <see cref="Scope"/> is a namespace.</summary>
    public bool IsNamespace { get; set; }

    /// <summary>Whether pulls of images no trusted identity signed are refused.</summary>
    public bool Enforce { get; set; }

    /// <summary>Whether the registry's own signing CA is trusted.</summary>
    public bool TrustRegistry { get; set; } = true;

    /// <summary>Trusted CA certificates (PEM), as a JSON array.</summary>
    public string Certificates { get; set; } = "[]";

    /// <summary>Trusted public keys (PEM, for cosign), as a JSON array.</summary>
    public string PublicKeys { get; set; } = "[]";

    public DateTimeOffset UpdatedAt { get; set; }
}
