namespace Registry.Stores;

/// <summary>The cheapest request that shows storage answers (health checks); throws what an outage throws.</summary>
public interface IStorageProbe
{
    Task ProbeAsync(CancellationToken cancellationToken = default);
}
