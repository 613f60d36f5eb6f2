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
