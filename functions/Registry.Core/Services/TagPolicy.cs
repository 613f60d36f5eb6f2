using System.Text.Json;
using Registry.Oci;
using Registry.Records;

namespace Registry.Services;

/// <summary>
/// Which tags of a repository are immutable: all of them when the repository has DTR's immutableTags, otherwise
/// those matching one of its immutability patterns (globs with <c>*</c> and <c>?</c>, such as <c>v*</c> or
/// <c>release-*</c>, as Harbor and Docker Hub have).
/// </summary>
public static class TagPolicy
{
    public const int MaxPatterns = 32;

    public static bool IsImmutable(RepositoryRecord? repository, Tag tag) =>
        repository is not null && (repository.ImmutableTags || PatternsOf(repository).Any(p => Matches(p, tag.Value)));

    public static IReadOnlyList<string> PatternsOf(RepositoryRecord repository) =>
        string.IsNullOrEmpty(repository.ImmutableTagPatterns) ? [] : JsonSerializer.Deserialize<List<string>>(repository.ImmutableTagPatterns) ?? [];

    /// <summary>A pattern is a tag in which <c>*</c> stands for any run of characters and <c>?</c> for one.</summary>
    public static bool IsValidPattern(string pattern) =>
        pattern.Length is > 0 and <= 128 && pattern.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '*' or '?');

    /// <summary>Glob match over the whole tag, without backtracking blow-up (iterative, with one star position).</summary>
    public static bool Matches(string pattern, string tag)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < tag.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == tag[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
