using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A signing policy. PartitionKey key(repository), RowKey the policy id.</summary>
public sealed class SigningPolicyEntity : RegistryEntity
{
    public bool Enabled { get; set; } = true;

    /// <summary>The rules, as the JSON array DTR's API carries.</summary>
    public string Rules { get; set; } = "[]";

    public bool SignPlatforms { get; set; }

    public DateTimeOffset? LastSignedAt { get; set; }

    public SigningPolicy ToRecord() => Versioned(new SigningPolicy
    {
        Id = RowKey, Repository = StorageLayout.NameOf(PartitionKey), Enabled = Enabled, Rules = Rules, SignPlatforms = SignPlatforms,
        LastSignedAt = LastSignedAt,
    });
}

/// <summary>A trust policy. PartitionKey "n:" namespace; RowKey "*" for the namespace's own, key(repository) for a repository's.</summary>
public sealed class TrustPolicyEntity : RegistryEntity
{
    public bool Enforce { get; set; }

    public bool TrustRegistry { get; set; } = true;

    /// <summary>Trusted CA certificates (PEM), as a JSON array.</summary>
    public string Certificates { get; set; } = "[]";

    /// <summary>Trusted public keys (PEM), as a JSON array.</summary>
    public string PublicKeys { get; set; } = "[]";

    public DateTimeOffset UpdatedAt { get; set; }

    public TrustPolicy ToRecord() => Versioned(new TrustPolicy
    {
        Scope = StorageLayout.TrustScopeOf(PartitionKey, RowKey).Scope, IsNamespace = StorageLayout.TrustScopeOf(PartitionKey, RowKey).IsNamespace,
        Enforce = Enforce, TrustRegistry = TrustRegistry, Certificates = Certificates, PublicKeys = PublicKeys, UpdatedAt = UpdatedAt,
    });

    public static TrustPolicyEntity From(TrustPolicy policy) => new()
    {
        PartitionKey = StorageLayout.TrustKeys(policy.Scope, policy.IsNamespace).Partition,
        RowKey = StorageLayout.TrustKeys(policy.Scope, policy.IsNamespace).Row,
        Enforce = policy.Enforce,
        TrustRegistry = policy.TrustRegistry,
        Certificates = policy.Certificates,
        PublicKeys = policy.PublicKeys,
        UpdatedAt = policy.UpdatedAt,
    };
}
