namespace Registry.Options;

/// <summary>Settings under <c>Registry</c> (environment: <c>Registry__Name</c>).</summary>
public sealed class RegistryOptions
{
    public const string Section = "Registry";

    /// <summary>
    /// How blob GETs are answered: <c>Redirect</c> (307 to a short-lived read-only SAS URL, the default) or
    /// <c>Proxy</c> (the bytes stream through the app, for caches and closed networks).
    /// </summary>
    public BlobDelivery BlobDelivery { get; set; } = BlobDelivery.Redirect;

    /// <summary>Lifetime of a SAS URL handed out by a redirect.</summary>
    public TimeSpan RedirectLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Size of one staged block of an upload, in bytes (1 MiB to 100 MiB).</summary>
    public int BlockSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Blocks staged in parallel per upload request; bounds memory at (this + 1) x BlockSize.</summary>
    public int UploadParallelism { get; set; } = 4;

    /// <summary>The OCI-Chunk-Min-Length the registry asks chunked uploads to respect.</summary>
    public long ChunkMinLength { get; set; } = 1024 * 1024;

    /// <summary>How long an instance may answer a tag, manifest or blob link from its own cache.</summary>
    public TimeSpan MetadataCacheLifetime { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Answers carry the storage requests they cost in <c>X-Registry-Storage-Calls</c> (by kind).</summary>
    public bool CountStorageCalls { get; set; }

    /// <summary>
    /// Proxies whose X-Forwarded-For, -Host and -Proto count, as addresses or CIDR networks (<c>10.0.0.0/8</c>). None by
    /// default: a client's own X-Forwarded-For is ignored, so it cannot pose as other addresses to the login throttle.
    /// Under the Functions host, the host itself (on loopback) is trusted as well.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>The networks of <see cref="TrustedProxies"/>, or null when one of them is neither an address nor a network.</summary>
    public IReadOnlyList<System.Net.IPNetwork>? TrustedNetworks()
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in TrustedProxies)
        {
            if (System.Net.IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (System.Net.IPAddress.TryParse(entry, out var address))
            {
                networks.Add(new System.Net.IPNetwork(address, address.GetAddressBytes().Length * 8));
            }
            else
            {
                return null;
            }
        }

        return networks;
    }
}

/// <summary>How blob content reaches a client.</summary>
public enum BlobDelivery
{
    Redirect,
    Proxy,
}
