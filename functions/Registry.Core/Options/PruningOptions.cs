namespace Registry.Options;

/// <summary>Settings under <c>Registry:Pruning</c>.</summary>
public sealed class PruningOptions
{
    public const string Section = "Registry:Pruning";

    /// <summary>When the pruning timer runs: a six-field CRON expression with seconds (UTC); DTR runs every 15 minutes.</summary>
    public string Schedule { get; set; } = "0 */15 * * * *";
}
