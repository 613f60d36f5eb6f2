using Registry.Stores;

namespace Registry.Storage;

/// <summary>Probes storage with one point read of a row that need not exist (a miss is an answer too).</summary>
public sealed class StorageProbe(StorageClients clients) : IStorageProbe
{
    public async Task ProbeAsync(CancellationToken cancellationToken = default) =>
        await clients.Table(StorageLayout.SettingsTable)
            .GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(StorageLayout.SettingsPartition, "health", cancellationToken: cancellationToken);
}
