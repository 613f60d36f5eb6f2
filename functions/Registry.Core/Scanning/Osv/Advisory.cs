using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Scanning.Versions;

namespace Registry.Scanning.Osv;

/// <summary>
/// What a scan keeps of an OSV record for one affected package: identity, text, severity (a CVSS v3 base score
/// when the record has a vector, else the score of its severity word), a link, and the affected versions as OSV
/// events and an explicit list.
/// </summary>
public sealed record Advisory(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("aliases")] IReadOnlyList<string> Aliases,
    [property: JsonPropertyName("summary")] string? Summary,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("cvss")] double? CvssScore,
    [property: JsonPropertyName("vector")] string? Vector,
    [property: JsonPropertyName("link")] string Link,
    [property: JsonPropertyName("ranges")] IReadOnlyList<IReadOnlyList<OsvEvent>> Ranges,
    [property: JsonPropertyName("versions")] IReadOnlyList<string> Versions)
{
    private const int MaxDescription = 2000;

    /// <summary>The key a finding is shown and counted under: its CVE when it names one, so that a distribution's and
    /// GitHub's advisories of one CVE are one vulnerability.</summary>
    [JsonIgnore]
    public string CveKey => Id.StartsWith("CVE-", StringComparison.Ordinal) ? Id
        : Aliases.FirstOrDefault(a => a.StartsWith("CVE-", StringComparison.Ordinal)) ?? Id;

    /// <summary>The advisories of one OSV record: one per affected package, keyed by ecosystem and package name.</summary>
    public static IEnumerable<(string Ecosystem, string Package, Advisory Advisory)> From(OsvVulnerability record)
    {
        if (record.Id is null || record.Withdrawn is not null || record.Affected is null)
        {
            yield break;
        }

        foreach (var affected in record.Affected)
        {
            if (affected.Package is not { Ecosystem: { } ecosystem, Name: { } name })
            {
                continue;
            }

            var severities = (affected.Severity ?? []).Concat(record.Severity ?? []).ToList();
            var vector = severities.FirstOrDefault(s => s.Type is "CVSS_V3" && Cvss.BaseScore(s.Score) is not null)?.Score;
            var score = Cvss.BaseScore(vector) ?? WordScore(affected.DatabaseSpecific) ?? WordScore(record.DatabaseSpecific)
                ?? WordScore(severities.FirstOrDefault(s => s.Type is "Ubuntu")?.Score);
            var ranges = (affected.Ranges ?? [])
                .Where(r => r.Type is "ECOSYSTEM" or "SEMVER" && r.Events is { Count: > 0 })
                .Select(r => (IReadOnlyList<OsvEvent>)r.Events!.ToList())
                .ToList();
            var link = record.References?.FirstOrDefault(r => r.Type == "ADVISORY")?.Url
                ?? $"https://osv.dev/vulnerability/{Uri.EscapeDataString(record.Id)}";
            var description = record.Details is { Length: > MaxDescription } longDetails ? longDetails[..MaxDescription] + "…" : record.Details;
            yield return (NormalizeEcosystem(ecosystem), NormalizeName(ecosystem, name),
                new Advisory(record.Id, record.Aliases ?? [], record.Summary, description, score, vector, link, ranges, affected.Versions ?? []));
        }
    }

    /// <summary>Whether <paramref name="version"/> is affected: listed, or inside a range (OSV's evaluation of events).</summary>
    public bool Affects(string version, IVersionScheme scheme)
    {
        if (Versions.Contains(version))
        {
            return true;
        }

        foreach (var events in Ranges)
        {
            var affected = false;
            foreach (var e in Sorted(events, scheme))
            {
                if (e.Introduced is { } introduced && (introduced == "0" || scheme.Compare(version, introduced) >= 0))
                {
                    affected = true;
                }
                else if (e.Fixed is { } fixedIn && scheme.Compare(version, fixedIn) >= 0)
                {
                    affected = false;
                }
                else if (e.LastAffected is { } last && scheme.Compare(version, last) > 0)
                {
                    affected = false;
                }
            }

            if (affected)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The lowest fixed version above <paramref name="version"/>, if the advisory names one.</summary>
    public string? FixedVersion(string version, IVersionScheme scheme) => Ranges
        .SelectMany(r => r)
        .Select(e => e.Fixed)
        .OfType<string>()
        .Where(f => scheme.Compare(f, version) > 0)
        .Order(Comparer<string>.Create(scheme.Compare))
        .FirstOrDefault();

    /// <summary>Events in version order ("0" first); at one version an introduction before a fix.</summary>
    private static IEnumerable<OsvEvent> Sorted(IReadOnlyList<OsvEvent> events, IVersionScheme scheme) => events
        .Where(e => e.Limit is null)
        .OrderBy(e => e, Comparer<OsvEvent>.Create((a, b) =>
        {
            var x = a.Introduced ?? a.Fixed ?? a.LastAffected ?? "";
            var y = b.Introduced ?? b.Fixed ?? b.LastAffected ?? "";
            if (x == "0" || y == "0")
            {
                return (x == "0" ? 0 : 1) - (y == "0" ? 0 : 1);
            }

            var c = scheme.Compare(x, y);
            return c != 0 ? c : (a.Introduced is null ? 1 : 0) - (b.Introduced is null ? 1 : 0);
        }));

    /// <summary>The ecosystem key of a shard: Ubuntu's ":LTS" and ":Pro" qualifiers and Red Hat's product streams dropped.</summary>
    public static string NormalizeEcosystem(string ecosystem)
    {
        var parts = ecosystem.Split(':');
        return parts switch
        {
            ["Ubuntu", var release, _, ..] => $"Ubuntu:{release}",
            // Red Hat's product streams (Red Hat:enterprise_linux:8::appstream) are one release's packages.
            ["Red Hat", "enterprise_linux", var release, ..] => $"Red Hat:enterprise_linux:{release}",
            _ => ecosystem,
        };
    }

    /// <summary>Package names as each ecosystem compares them (PyPI per PEP 503, NuGet without case).</summary>
    public static string NormalizeName(string ecosystem, string name) => ecosystem.Split(':')[0] switch
    {
        "PyPI" => System.Text.RegularExpressions.Regex.Replace(name.ToLowerInvariant(), "[-_.]+", "-"),
        "NuGet" => name.ToLowerInvariant(),
        _ => name,
    };

    /// <summary>A representative score for a severity word (GitHub's "database_specific.severity", Ubuntu's priority).</summary>
    private static double? WordScore(JsonElement? databaseSpecific) =>
        databaseSpecific is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("severity", out var s) && s.ValueKind == JsonValueKind.String
            ? WordScore(s.GetString())
            : null;

    private static double? WordScore(string? word) => word?.ToUpperInvariant() switch
    {
        "CRITICAL" => 9.0,
        "HIGH" => 7.5,
        "MODERATE" or "MEDIUM" => 5.5,
        "LOW" or "NEGLIGIBLE" => 2.0,
        _ => null,
    };
}
