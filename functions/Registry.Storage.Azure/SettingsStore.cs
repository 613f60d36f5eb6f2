using Azure;
using Azure.Data.Tables;
using Registry.Records;
using Registry.Storage.Entities;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>
/// The Settings table, its one owner: the saved GC settings with the last run's summary, the vulnerability database in
/// use, the timers' last runs and the instances seen.
/// </summary>
public sealed class SettingsStore(StorageClients clients) : ISettingsStore
{
    private readonly TableClient _settings = clients.Table(StorageLayout.SettingsTable);

    public async Task<SavedGcSettings?> GetGcSettingsOrNullAsync(CancellationToken cancellationToken = default) =>
        (await _settings.GetOrNullAsync<GcSettingsEntity>(StorageLayout.SettingsPartition, StorageLayout.GcSettingsRow, cancellationToken))?.ToRecord();

    public async Task<SavedRegistrySettings?> GetRegistrySettingsOrNullAsync(CancellationToken cancellationToken = default) =>
        await _settings.GetOrNullAsync<TableEntity>(StorageLayout.SettingsPartition, StorageLayout.RegistrySettingsRow, cancellationToken) is { } row
            ? new SavedRegistrySettings
            {
                CreateRepositoryOnPush = row.GetBoolean("CreateRepositoryOnPush"), ReadOnlyRegistry = row.GetBoolean("ReadOnlyRegistry"),
                ETag = row.ETag.ToString(), WrittenAt = row.Timestamp,
            }
            : null;

    public async Task<bool> TrySaveRegistrySettingsAsync(SavedRegistrySettings settings, CancellationToken cancellationToken = default)
    {
        var row = new TableEntity(StorageLayout.SettingsPartition, StorageLayout.RegistrySettingsRow)
        {
            ["CreateRepositoryOnPush"] = settings.CreateRepositoryOnPush, ["ReadOnlyRegistry"] = settings.ReadOnlyRegistry,
        };
        try
        {
            if (settings.ETag is { } etag)
            {
                await _settings.UpdateEntityAsync(row, new ETag(etag), TableUpdateMode.Replace, cancellationToken);
            }
            else
            {
                await _settings.AddEntityAsync(row, cancellationToken);
            }

            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict() || e.IsPreconditionFailed())
        {
            return false;
        }
    }

    /// <summary>
    /// Saves the GC settings whole (a setting returned to configuration loses its stored value): added when
    /// <paramref name="exists"/> is false, else replaced on condition of the ETag read. False when written meanwhile.
    /// </summary>
    public async Task<bool> TrySaveGcSettingsAsync(SavedGcSettings settings, bool exists, CancellationToken cancellationToken = default)
    {
        var entity = GcSettingsEntity.From(settings);
        try
        {
            if (exists)
            {
                await _settings.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
            }
            else
            {
                await _settings.AddEntityAsync(entity, cancellationToken);
            }

            return true;
        }
        catch (RequestFailedException e) when (e.IsConflict() || e.IsPreconditionFailed())
        {
            return false;
        }
    }

    /// <summary>The last GC run's summary: a merge of that one column, so the settings saved beside it stay.</summary>
    public async Task SaveGcLastRunAsync(string summary, CancellationToken cancellationToken = default) =>
        await _settings.UpsertEntityAsync(new TableEntity(StorageLayout.SettingsPartition, StorageLayout.GcSettingsRow) { ["LastRun"] = summary },
            TableUpdateMode.Merge, cancellationToken);

    /// <summary>The vulnerability database in use, as JSON; null before the first import.</summary>
    public async Task<string?> GetVulnerabilityDatabaseOrNullAsync(CancellationToken cancellationToken = default) =>
        (await _settings.GetOrNullAsync<TableEntity>(StorageLayout.SettingsPartition, StorageLayout.VulnerabilityDatabaseRow, cancellationToken))
            ?.GetString("Info");

    public async Task SaveVulnerabilityDatabaseAsync(string info, CancellationToken cancellationToken = default) =>
        await _settings.UpsertEntityAsync(new TableEntity(StorageLayout.SettingsPartition, StorageLayout.VulnerabilityDatabaseRow) { ["Info"] = info },
            TableUpdateMode.Replace, cancellationToken);

    public async Task SaveTimerRunAsync(TimerRun run, CancellationToken cancellationToken = default) =>
        await _settings.UpsertEntityAsync(new TableEntity(StorageLayout.TimersPartition, run.Name)
        {
            ["LastRunAt"] = run.LastRunAt, ["Outcome"] = run.Outcome, ["DurationSeconds"] = run.DurationSeconds, ["Instance"] = run.Instance,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<IReadOnlyList<TimerRun>> ListTimerRunsAsync(CancellationToken cancellationToken = default) =>
        (await _settings.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.TimersPartition}"),
            cancellationToken: cancellationToken).TakeAsync(100, cancellationToken))
        .Select(e => new TimerRun(e.RowKey, e.GetDateTimeOffset("LastRunAt") ?? default, e.GetString("Outcome") ?? "", e.GetDouble("DurationSeconds") ?? 0,
            e.GetString("Instance") ?? "")).ToList();

    public async Task SaveInstanceAsync(InstanceSeen instance, CancellationToken cancellationToken = default) =>
        await _settings.UpsertEntityAsync(new TableEntity(StorageLayout.InstancesPartition, instance.Id)
        {
            ["Host"] = instance.Host, ["StartedAt"] = instance.StartedAt, ["LastSeenAt"] = instance.LastSeenAt, ["Version"] = instance.Version,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<IReadOnlyList<InstanceSeen>> ListInstancesAsync(DateTimeOffset since, DateTimeOffset forgetBefore, CancellationToken cancellationToken = default)
    {
        var rows = await _settings.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {StorageLayout.InstancesPartition}"),
            cancellationToken: cancellationToken).TakeAsync(1000, cancellationToken);
        var seen = new List<InstanceSeen>();
        foreach (var row in rows)
        {
            var instance = new InstanceSeen(row.RowKey, row.GetString("Host") ?? "", row.GetDateTimeOffset("StartedAt") ?? default,
                row.GetDateTimeOffset("LastSeenAt") ?? default, row.GetString("Version") ?? "");
            if (instance.LastSeenAt < forgetBefore)
            {
                await _settings.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken);
            }
            else if (instance.LastSeenAt >= since)
            {
                seen.Add(instance);
            }
        }

        return seen;
    }
}
