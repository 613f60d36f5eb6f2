namespace Registry.Scanning.Parsers;

/// <summary>A reader of one kind of package file found in a layer.</summary>
public interface IPackageFileParser
{
    /// <summary>Most bytes of such a file that are read; a larger file is skipped, reported so (and hides the one below it).</summary>
    long MaxBytes { get; }

    /// <summary>Whether this parser reads the file at <paramref name="path"/> (relative, no leading '/').</summary>
    bool Matches(string path, bool executable);

    /// <summary>
    /// The components the file records; <paramref name="content"/> holds at most <see cref="MaxBytes"/>. What the parser
    /// finds but cannot read (a part of the file, or all of it) goes to <paramref name="skipped"/> with the reason.
    /// </summary>
    Task<IReadOnlyList<Component>> ParseAsync(string path, Stream content, ICollection<ScanSkip> skipped, CancellationToken cancellationToken);
}

/// <summary>Helpers for the text formats of package databases.</summary>
internal static class PackageText
{
    public static async Task<string> ReadAllAsync(Stream content, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(content, leaveOpen: true);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    /// <summary>Paragraphs of <c>Key: value</c> lines separated by blank lines (dpkg status, METADATA headers).</summary>
    public static IEnumerable<Dictionary<string, string>> Paragraphs(string text, char separator = ':')
    {
        var current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? lastKey = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                if (current.Count > 0)
                {
                    yield return current;
                    current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                }

                lastKey = null;
                continue;
            }

            if (line[0] is ' ' or '\t')
            {
                if (lastKey is not null)
                {
                    current[lastKey] += "\n" + line.Trim();   // a continuation line
                }

                continue;
            }

            var colon = line.IndexOf(separator);
            if (colon > 0)
            {
                lastKey = line[..colon].Trim();
                current.TryAdd(lastKey, line[(colon + 1)..].Trim());
            }
        }

        if (current.Count > 0)
        {
            yield return current;
        }
    }
}
