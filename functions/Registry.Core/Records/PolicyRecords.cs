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

/// <summary>
/// A mirroring policy of a local repository (DTR's): <see cref="Push"/> sends the tags pushed to it that meet the rules
/// to a remote repository, under the tag template; <see cref="Poll"/> brings the remote repository's tags into it on a
/// timer. The remote account's password is kept sealed (<see cref="Auth.SealingVault"/>), never in the clear.
/// </summary>
public sealed class MirroringPolicy : StoredRecord
{
    public const string Push = "push";
    public const string Poll = "poll";

    public string Id { get; set; } = "";

    /// <summary>The local repository's name.</summary>
    public string Repository { get; set; } = "";

    /// <summary><see cref="Push"/> or <see cref="Poll"/>.</summary>
    public string Direction { get; set; } = Push;

    public bool Enabled { get; set; } = true;

    /// <summary>For a push policy: the rules, as the JSON array DTR's API carries.</summary>
    public string Rules { get; set; } = "[]";

    /// <summary>For a push policy: the remote tag, from the local one (<see cref="Services.TagTemplate"/>).</summary>
    public string TagTemplate { get; set; } = "%n";

    /// <summary>The remote registry's address (http or https).</summary>
    public string RemoteHost { get; set; } = "";

    public string RemoteRepository { get; set; } = "";

    /// <summary>The CA the remote's certificate is checked against (PEM), empty for the machine's own.</summary>
    public string RemoteCa { get; set; } = "";

    public bool SkipTlsVerification { get; set; }

    public string Username { get; set; } = "";

    /// <summary>The password or token, sealed for this policy (base64), empty for none.</summary>
    public string SealedPassword { get; set; } = "";

    /// <summary>When the policy last mirrored something.</summary>
    public DateTimeOffset? LastMirroredAt { get; set; }

    /// <summary>How its last run went: <c>SUCCESS</c> or <c>FAILED</c>, empty before its first.</summary>
    public string LastStatus { get; set; } = "";

    public string LastStatusDetail { get; set; } = "";

    public DateTimeOffset? LastStatusAt { get; set; }
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
