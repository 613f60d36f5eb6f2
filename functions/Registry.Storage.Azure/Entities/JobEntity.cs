using System.Text.Json;
using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A job. PartitionKey "j", RowKey its id (newest first).</summary>
public sealed class JobEntity : RegistryEntity
{
    public string Action { get; set; } = "";

    public string Status { get; set; } = "";

    public string WorkerId { get; set; } = "";

    public DateTimeOffset ScheduledAt { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset LastUpdated { get; set; }

    public string Parameters { get; set; } = "{}";

    /// <summary>The log lines, as a JSON array.</summary>
    public string Logs { get; set; } = "[]";

    public string Error { get; set; } = "";

    /// <summary>What a job started through the API found, as JSON.</summary>
    public string Result { get; set; } = "";

    public JobRecord ToRecord() => Versioned(new JobRecord
    {
        Id = RowKey, Action = Action, Status = Status, WorkerId = WorkerId, ScheduledAt = ScheduledAt, StartedAt = StartedAt, LastUpdated = LastUpdated,
        Parameters = Parameters, Logs = JsonSerializer.Deserialize<List<string>>(Logs) ?? [], Error = Error, Result = Result ?? "",
    });

    public static JobEntity From(JobRecord job) => new()
    {
        PartitionKey = StorageLayout.JobsPartition, RowKey = job.Id, Action = job.Action, Status = job.Status, WorkerId = job.WorkerId,
        ScheduledAt = job.ScheduledAt, StartedAt = job.StartedAt, LastUpdated = job.LastUpdated, Parameters = job.Parameters,
        Logs = JsonSerializer.Serialize(job.Logs), Error = job.Error.Length > 1000 ? job.Error[..1000] : job.Error, Result = job.Result, ETag = VersionOf(job),
    };
}
