using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Stores;

namespace Registry.Storage;

/// <summary>The one registration of the stores on Azure Storage (and Key Vault), which both hosts make before the registry's own.</summary>
public static class AzureStorageExtensions
{
    /// <summary>
    /// Registers the clients, the stores behind Registry.Core's interfaces, and the start-up step that creates the
    /// container and tables. Call it before <c>AddRegistry</c>: hosted services start in the order registered, and
    /// the registry's own (the administrator's bootstrap) need the tables.
    /// </summary>
    public static IHostApplicationBuilder AddAzureStorage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<StorageOptions>().Bind(builder.Configuration.GetSection(StorageOptions.Section))
            .Validate(o => o.NetworkTimeout > TimeSpan.Zero && o.MaxRetries is >= 0 and <= 10,
                "Registry:Storage:NetworkTimeout must be positive and Registry:Storage:MaxRetries 0 to 10")
            .ValidateOnStart();
        services.AddMemoryCache();
        services.AddSingleton<StorageClients>();
        services.AddHostedService<StorageInitializer>();
        services.AddSingleton<IContentStore, ContentStore>();
        services.AddSingleton<IMetadataStore, MetadataStore>();
        services.AddSingleton<IAccountStore, AccountStore>();
        services.AddSingleton<ISettingsStore, SettingsStore>();
        services.AddSingleton<IPolicyStore, PolicyStore>();
        services.AddSingleton<IScanStore, ScanStore>();
        services.AddSingleton<IVulnerabilityShardStore, VulnerabilityShardStore>();
        services.AddSingleton<ISigningStore, SigningStore>();
        services.AddSingleton<ISigningKeyDocument>(sp => sp.GetRequiredService<IOptions<AuthOptions>>().Value.KeyVaultUri is { } vault
            ? new KeyVaultSigningKeyDocument(vault, KeyVaultSigningKeyDocument.TokenKeysSecret)
            : new BlobSigningKeyDocument(sp.GetRequiredService<StorageClients>(), StorageLayout.SigningKeysPath));
        // The certificate that signs images: a Key Vault certificate's secret, or a blob the registry writes itself.
        services.AddKeyedSingleton<ISigningKeyDocument>(Signing.SigningCredentials.DocumentKey, (sp, _) =>
            sp.GetRequiredService<IOptions<AuthOptions>>().Value.KeyVaultUri is { } vault
                ? new KeyVaultSigningKeyDocument(vault, sp.GetRequiredService<IOptions<SigningOptions>>().Value.Certificate)
                : new BlobSigningKeyDocument(sp.GetRequiredService<StorageClients>(), StorageLayout.ImageSigningPath));
        // Notary trust data, and the key that seals the timestamp and snapshot keys the server holds for GUNs.
        services.AddSingleton<ITrustDataStore, TrustDataStore>();
        services.AddSingleton<IStorageProbe, StorageProbe>();
        services.AddSingleton<IQueueProbe, QueueProbe>();
        services.AddSingleton<IRepositoryCountStore, RepositoryCountStore>();
        // Events: the outbox, and the publisher the configuration names
        services.AddSingleton<IEventOutbox, EventOutbox>();
        services.AddSingleton<IEventPublisher>(sp => sp.GetRequiredService<IOptions<EventOptions>>().Value.Publisher.ToLowerInvariant() switch
        {
            "servicebus" => new ServiceBusEventPublisher(sp.GetRequiredService<IOptions<EventOptions>>()),
            "queue" => new QueueEventPublisher(sp.GetRequiredService<StorageClients>(), sp.GetRequiredService<IOptions<EventOptions>>()),
            _ => new NoEventPublisher(),
        });
        services.AddSingleton<IWebhookStore, WebhookStore>();
        services.AddSingleton<IJobStore, JobStore>();
        services.AddSingleton<IAuditStore, AuditStore>();
        services.AddSingleton<ICacheStore, CacheStore>();
        services.AddKeyedSingleton<ISigningKeyDocument>(Auth.SealingVault.DocumentKey, (sp, _) =>
            sp.GetRequiredService<IOptions<AuthOptions>>().Value.KeyVaultUri is { } vault
                ? new KeyVaultSigningKeyDocument(vault, KeyVaultSigningKeyDocument.TrustKeysSecret)
                : new BlobSigningKeyDocument(sp.GetRequiredService<StorageClients>(), StorageLayout.TrustKeysPath));
        return builder;
    }
}
