using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Registry.Oci;

/// <summary>
/// A content digest <c>algorithm:encoded</c> (image-spec descriptor.md "Digests").
/// Only the algorithms of <see cref="Algorithms"/> are accepted, each with its exact hex length.
/// </summary>
public readonly partial record struct Digest
{
    public const string Sha256 = "sha256";
    public const string Sha512 = "sha512";

    /// <summary>The allow-list: algorithm to the length of its lowercase hex encoding.</summary>
    public static readonly IReadOnlyDictionary<string, int> Algorithms = new Dictionary<string, int>
    {
        [Sha256] = 64,
        [Sha512] = 128,
    };

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public string Algorithm { get; }

    public string Hex { get; }

    public override string ToString() => $"{Algorithm}:{Hex}";

    /// <summary>Parses <paramref name="value"/>; false for any grammar error or an algorithm not in the allow-list.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest)
    {
        digest = default;
        if (value is null || value.Length > 200 || !DigestGrammar().IsMatch(value))
        {
            return false;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var algorithm = value[..colon];
        var hex = value[(colon + 1)..];
        if (!Algorithms.TryGetValue(algorithm, out var length) || hex.Length != length || !IsLowerHex(hex))
        {
            return false;
        }

        digest = new Digest(algorithm, hex);
        return true;
    }

    /// <summary>Builds a digest from a finished hash.</summary>
    public static Digest FromHash(string algorithm, ReadOnlySpan<byte> hash) =>
        new(algorithm, Convert.ToHexStringLower(hash));

    /// <summary>The sha256 digest of <paramref name="content"/>.</summary>
    public static Digest ComputeSha256(ReadOnlySpan<byte> content) => FromHash(Sha256, SHA256.HashData(content));

    /// <summary>The digest of <paramref name="content"/> with this digest's algorithm.</summary>
    public Digest Compute(ReadOnlySpan<byte> content) =>
        FromHash(Algorithm, Algorithm == Sha512 ? SHA512.HashData(content) : SHA256.HashData(content));

    /// <summary>An incremental hash for this digest's algorithm.</summary>
    public IncrementalHash CreateHash() => CreateHash(Algorithm);

    public static IncrementalHash CreateHash(string algorithm) =>
        IncrementalHash.CreateHash(algorithm == Sha512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);

    private static bool IsLowerHex(string hex)
    {
        foreach (var c in hex)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    // image-spec: algorithm ::= component (separator component)*, encoded ::= [a-zA-Z0-9=_-]+
    [GeneratedRegex("^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestGrammar();
}
