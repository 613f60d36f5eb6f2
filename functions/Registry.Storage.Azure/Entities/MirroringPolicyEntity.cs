using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>A mirroring policy, push or poll. PartitionKey key(local repository), RowKey the policy id.</summary>
public sealed class MirroringPolicyEntity : RegistryEntity
{
    public string Direction { get; set; } = MirroringPolicy.Push;

    public bool Enabled { get; set; } = true;

    public string Rules { get; set; } = "[]";

    public string TagTemplate { get; set; } = "%n";

    public string RemoteHost { get; set; } = "";

    public string RemoteRepository { get; set; } = "";

    public string RemoteCa { get; set; } = "";

    public bool SkipTlsVerification { get; set; }

    public string Username { get; set; } = "";

    /// <summary>The password, sealed for this policy (base64).</summary>
    public string SealedPassword { get; set; } = "";

    public DateTimeOffset? LastMirroredAt { get; set; }

    public string LastStatus { get; set; } = "";

    public string LastStatusDetail { get; set; } = "";

    public DateTimeOffset? LastStatusAt { get; set; }

    public static MirroringPolicyEntity Of(MirroringPolicy p) => new()
    {
        PartitionKey = StorageLayout.Key(p.Repository), RowKey = p.Id, Direction = p.Direction, Enabled = p.Enabled, Rules = p.Rules, TagTemplate = p.TagTemplate,
        RemoteHost = p.RemoteHost, RemoteRepository = p.RemoteRepository, RemoteCa = p.RemoteCa, SkipTlsVerification = p.SkipTlsVerification,
        Username = p.Username, SealedPassword = p.SealedPassword, LastMirroredAt = p.LastMirroredAt, LastStatus = p.LastStatus,
        LastStatusDetail = p.LastStatusDetail, LastStatusAt = p.LastStatusAt,
    };

    public MirroringPolicy ToRecord() => Versioned(new MirroringPolicy
    {
        Id = RowKey, Repository = StorageLayout.NameOf(PartitionKey), Direction = Direction, Enabled = Enabled, Rules = Rules, TagTemplate = TagTemplate,
        RemoteHost = RemoteHost, RemoteRepository = RemoteRepository, RemoteCa = RemoteCa, SkipTlsVerification = SkipTlsVerification,
        Username = Username, SealedPassword = SealedPassword, LastMirroredAt = LastMirroredAt, LastStatus = LastStatus,
        LastStatusDetail = LastStatusDetail, LastStatusAt = LastStatusAt,
    });
}
