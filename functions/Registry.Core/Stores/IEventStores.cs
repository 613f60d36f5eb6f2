using Registry.Events;

namespace Registry.Stores;

/// <summary>Events written with the change that raised them, kept until published (oldest first).</summary>
public interface IEventOutbox
{
    /// <summary>Records events, all or none (one table transaction for up to 100).</summary>
    Task AddAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default);

    /// <summary>The oldest events not yet published, each with the key to remove it by.</summary>
    Task<IReadOnlyList<(string Key, RegistryEvent Event)>> ListAsync(int count, CancellationToken cancellationToken = default);

    /// <summary>Removes published events (one table transaction per 100).</summary>
    Task RemoveAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default);
}

/// <summary>Where events are published: a Storage Queue, a Service Bus topic. Throws when it cannot take them.</summary>
public interface IEventPublisher
{
    Task PublishAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default);
}
