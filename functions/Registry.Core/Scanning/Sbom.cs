using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Oci;

namespace Registry.Scanning;

/// <summary>
/// An image's components as a CycloneDX 1.5 JSON document, and the OCI artifact manifest that attaches it to the
/// image as a referrer (<c>artifactType application/vnd.cyclonedx+json</c>, the empty config). Both are
/// deterministic: the same inventory of the same image gives the same bytes, so scanning again adds nothing.
/// </summary>
public static class Sbom
{
    public const string MediaType = "application/vnd.cyclonedx+json";

    /// <summary>The empty JSON config of artifacts (image-spec "Guidance for an empty descriptor").</summary>

    public static byte[] CycloneDx(RepositoryName name, Digest image, ImageInventoryRecord inventory)
    {
        var components = new JsonArray();
        foreach (var c in inventory.Components)
        {
            var component = new JsonObject
            {
                ["type"] = "library",
                ["name"] = c.Name,
                ["version"] = c.Version,
                ["purl"] = Purl(c, inventory.OsRelease),
                ["properties"] = new JsonArray(
                    new JsonObject { ["name"] = "oci:layer", ["value"] = c.Layer },
                    new JsonObject { ["name"] = "oci:path", ["value"] = c.Path },
                    new JsonObject { ["name"] = "osv:ecosystem", ["value"] = c.Ecosystem }),
            };
            if (c.License is not null)
            {
                component["licenses"] = new JsonArray(new JsonObject { ["license"] = new JsonObject { ["name"] = c.License } });
            }

            components.Add(component);
        }

        var document = new JsonObject
        {
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = "1.5",
            ["serialNumber"] = $"urn:uuid:{DeterministicUuid(image)}",
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["component"] = new JsonObject
                {
                    ["type"] = "container",
                    ["name"] = name.Value,
                    ["version"] = image.ToString(),
                },
            },
            ["components"] = components,
        };
        return Encoding.UTF8.GetBytes(document.ToJsonString());
    }

    /// <summary>The artifact manifest of an SBOM blob whose subject is the image.</summary>
    public static byte[] Manifest(Digest sbom, long sbomSize, string subjectMediaType, Digest subject, long subjectSize) => Encoding.UTF8.GetBytes(
        $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"artifactType\":\"{MediaType}\"," +
        $"\"config\":{{\"mediaType\":\"{MediaTypes.EmptyJson}\",\"digest\":\"{Digest.ComputeSha256(MediaTypes.EmptyJsonContent)}\",\"size\":{MediaTypes.EmptyJsonContent.Length}}}," +
        $"\"layers\":[{{\"mediaType\":\"{MediaType}\",\"digest\":\"{sbom}\",\"size\":{sbomSize}}}]," +
        $"\"subject\":{{\"mediaType\":\"{subjectMediaType}\",\"digest\":\"{subject}\",\"size\":{subjectSize}}}}}");

    /// <summary>
    /// The package URL of a component (purl-spec types apk, deb, rpm, npm, pypi, nuget, maven, golang). A Debian or RPM
    /// package built from a source package of another name carries it as <c>upstream</c>: the name advisories use.
    /// </summary>
    public static string? Purl(Component c, OsRelease? os)
    {
        static string E(string s) => Uri.EscapeDataString(s);
        string Qualifiers(params (string Key, string? Value)[] pairs)
        {
            var present = pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={E(p.Value!)}").ToList();
            return present.Count == 0 ? "" : "?" + string.Join('&', present);   // keys in the spec's order: sorted
        }

        var distro = os is null ? null : $"{os.Id}-{os.VersionId}";
        var upstream = c.SourceName is { } source && source != c.Name ? source : null;
        var (epoch, version) = c.Type == "rpm" && c.Version.IndexOf(':') is var colon and > 0 ? (c.Version[..colon], c.Version[(colon + 1)..]) : (null, c.Version);
        return c.Type switch
        {
            "apk" => $"pkg:apk/{E(os?.Id ?? "alpine")}/{E(c.Name)}@{E(c.Version)}{Qualifiers(("distro", distro))}",
            "deb" => $"pkg:deb/{E(os?.Id ?? "debian")}/{E(c.Name)}@{E(c.Version)}{Qualifiers(("distro", distro), ("upstream", upstream))}",
            "rpm" => $"pkg:rpm/{E(os?.Id ?? "redhat")}/{E(c.Name)}@{E(version)}{Qualifiers(("distro", distro), ("epoch", epoch), ("upstream", upstream))}",
            "npm" => c.Name.StartsWith('@') && c.Name.IndexOf('/') is var slash and > 0
                ? $"pkg:npm/{E(c.Name[..slash])}/{E(c.Name[(slash + 1)..])}@{E(c.Version)}"
                : $"pkg:npm/{E(c.Name)}@{E(c.Version)}",
            "pypi" => $"pkg:pypi/{E(c.Name.ToLowerInvariant())}@{E(c.Version)}",
            "nuget" => $"pkg:nuget/{E(c.Name)}@{E(c.Version)}",
            "maven" when c.Name.Split(':') is [var group, var artifact] => $"pkg:maven/{E(group)}/{E(artifact)}@{E(c.Version)}",
            "go" => $"pkg:golang/{string.Join('/', c.Name.Split('/').Select(E))}" + (c.Version == Parsers.GoBinaryParser.Devel ? "" : $"@{E(c.Version)}"),
            _ => null,
        };
    }

    private static Guid DeterministicUuid(Digest image)
    {
        var bytes = Convert.FromHexString(image.Hex[..32]);
        bytes[6] = (byte)((bytes[6] & 0x0f) | 0x80);   // version 8: custom
        bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80);   // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }
}
