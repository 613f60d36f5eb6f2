using Registry.Records;

namespace Registry.Storage.Entities;

/// <summary>
/// An upload session. PartitionKey "u", RowKey the upload id. Progress is not kept here: the committed block
/// list of the upload blob is the one truth about how many bytes arrived, so any instance can continue it.
/// </summary>
public sealed class UploadEntity : RegistryEntity
{
    public string Repository { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    public UploadSession ToRecord() => Versioned(new UploadSession { Id = RowKey, Repository = Repository, StartedAt = StartedAt });
}
