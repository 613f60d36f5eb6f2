using Microsoft.Extensions.Hosting;

namespace Registry.Storage;

/// <summary>Creates the blob container and the tables at start-up, before the first request is served.</summary>
public sealed class StorageInitializer(StorageClients clients) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => clients.EnsureCreatedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
