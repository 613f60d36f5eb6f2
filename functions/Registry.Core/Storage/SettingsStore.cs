using Azure;
using Azure.Data.Tables;
using Registry.Storage.Entities;

namespace Registry.Storage;

/// <summary>The Settings table, its one owner: the saved GC settings with the last run's summary, and the vulnerability database in use.</summary>
public sealed class SettingsStore(StorageClients clients)
{
    private readonly TableClient _settings = clients.Table(StorageLayout.SettingsTable);

    public async Task<GcSettingsEntity?> GetGcSettingsOrNullAsync(CancellationToken cancellationToken = default) =>
        await _settings.GetOrNullAsync<GcSettingsEntity>(StorageLayout.SettingsPartition, StorageLayout.GcSettingsRow, cancellationToken);

    /// <summary>
    /// Saves the GC settings whole (a setting returned to configuration loses its stored value): added when
    /// <paramref name="exists"/> is false, else replaced on condition of the ETag read. False when written meanwhile.
    /// </summary>
    public async Task<bool> TrySaveGcSettingsAsync(GcSettingsEntity settings, bool exists, CancellationToken cancellationToken = default)
    {
        settings.PartitionKey = StorageLayout.SettingsPartition;
        settings.RowKey = StorageLayout.GcSettingsRow;
        try
        {
            if (exists)
            {
                await _settings.UpdateEntityAsync(settings, settings.ETag, TableUpdateMode.Replace, cancellationToken);
            }
            else
            {
                await _settings.AddEntityAsync(settings, cancellationToken);
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
}
