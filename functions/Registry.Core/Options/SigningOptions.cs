namespace Registry.Options;

/// <summary>Settings under <c>Registry:Signing</c> (server-side signing and signed-only pulls).</summary>
public sealed class SigningOptions
{
    public const string Section = "Registry:Signing";

    /// <summary>The Storage Queue of signing jobs (one message per manifest to sign).</summary>
    public string Queue { get; set; } = "signatures";

    /// <summary>
    /// The name of the Key Vault certificate that signs (in the vault of Registry:Auth:KeyVaultUri). Without a vault,
    /// the registry makes a CA and a signing certificate at first use and keeps them in its storage.
    /// </summary>
    public string Certificate { get; set; } = "registry-image-signing";

    /// <summary>The common name of the certificates the registry makes itself ("&lt;name&gt; Signing CA", "&lt;name&gt; Image Signing").</summary>
    public string Name { get; set; } = "Registry";

    /// <summary>How long a pull decision (allowed, per manifest and trust policy version) is kept in memory.</summary>
    public TimeSpan DecisionCacheLifetime { get; set; } = TimeSpan.FromMinutes(10);
}
