namespace Registry.Oci;

/// <summary>The <c>&lt;reference&gt;</c> of a manifest URL: a tag or a digest, never both.</summary>
public readonly record struct ManifestReference(Tag? Tag, Digest? Digest)
{
    public bool IsDigest => Digest is not null;

    public override string ToString() => Digest?.ToString() ?? Tag!.Value.Value;

    /// <summary>
    /// Parses a reference: anything with a colon must be a valid digest, anything else a valid tag.
    /// Returns null and sets <paramref name="looksLikeDigest"/> when neither grammar matches.
    /// </summary>
    public static ManifestReference? TryParse(string value, out bool looksLikeDigest)
    {
        looksLikeDigest = value.Contains(':', StringComparison.Ordinal);
        if (looksLikeDigest)
        {
            return Oci.Digest.TryParse(value, out var digest) ? new ManifestReference(null, digest) : null;
        }

        return Oci.Tag.TryParse(value, out var tag) ? new ManifestReference(tag, null) : null;
    }
}
