namespace Registry.Tests.Support;

/// <summary>One standalone host shared by the integration tests of a collection (each test uses its own repositories).</summary>
public sealed class HostFixture : IAsyncLifetime
{
    public RegistryHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class HostCollection : ICollectionFixture<HostFixture>
{
    public const string Name = "registry host";
}
