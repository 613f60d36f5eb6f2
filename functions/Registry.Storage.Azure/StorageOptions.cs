namespace Registry.Storage;

/// <summary>
/// Settings under <c>Registry:Storage</c>. Locally, <see cref="ConnectionString"/> (Azurite); in Azure, the three
/// service URIs with the app's managed identity (DefaultAzureCredential), no keys.
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Registry:Storage";

    /// <summary>A storage connection string; when set, the service URIs are ignored.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Blob endpoint, such as https://account.blob.core.windows.net.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>Queue endpoint, such as https://account.queue.core.windows.net (scan jobs).</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>Table endpoint, such as https://account.table.core.windows.net.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>Client id of a user-assigned identity; empty for the system-assigned one.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Blob container holding content and uploads.</summary>
    public string Container { get; set; } = "registry";

    /// <summary>Prefix of every table name (letters and digits), to share one account between registries.</summary>
    public string TablePrefix { get; set; } = "";

    /// <summary>
    /// The longest one storage request may take, each try (the SDK's default is 100 s); with <see cref="MaxRetries"/>
    /// it bounds how long a request waits for storage that does not answer before the registry answers 503.
    /// </summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Retries of a failed storage request (the SDK's default is 3).</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>
    /// True: the host creates the container and tables (when missing) before it serves. False: the deployment created
    /// them (the Bicep does), so the host serves at once and checks them in the background, which keeps a cold start
    /// short.
    /// </summary>
    public bool CreateBeforeStart { get; set; } = true;
}
