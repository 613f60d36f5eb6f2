namespace Registry.Records;

/// <summary>
/// One run of background work (DTR's job): a timer's run, a scan, a signing, a webhook delivery, a GC asked for
/// through the API. Its id sorts newest first; its log is what the work logged at Information or above, capped.
/// </summary>
public sealed class JobRecord : StoredRecord
{
    public const string Running = "running";
    public const string Done = "done";
    public const string Errored = "errored";
    public const string CancelRequest = "cancel_request";
    public const string Canceled = "canceled";

    public string Id { get; set; } = "";

    public string Action { get; set; } = "";

    public string Status { get; set; } = Running;

    public string WorkerId { get; set; } = "";

    /// <summary>When the work was asked for (a queued job's request, a timer's slot); the start when unknown.</summary>
    public DateTimeOffset ScheduledAt { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset LastUpdated { get; set; }

    /// <summary>What the job is about, as JSON (the repository and digest of a scan, the webhook of a delivery).</summary>
    public string Parameters { get; set; } = "{}";

    public IReadOnlyList<string> Logs { get; set; } = [];

    public string Error { get; set; } = "";

    /// <summary>What a job started through the API found (a GC report), as JSON; empty otherwise.</summary>
    public string Result { get; set; } = "";
}
