namespace Registry.Stores;

/// <summary>
/// Where the signing keys are kept: one JSON document, written only on condition that nobody wrote it since it was
/// read (the storage side: a blob of the registry container, or a Key Vault secret).
/// </summary>
public interface ISigningKeyDocument
{
    /// <summary>The document and a version to write against; a null document when there is none yet.</summary>
    Task<(string? Json, string? Version)> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Writes the document if it is still at <paramref name="version"/> (null: if there is none); false when another wrote first.</summary>
    Task<bool> TryWriteAsync(string json, string? version, CancellationToken cancellationToken);
}
