using Azure;

namespace Registry.Storage;

/// <summary>What an upload blob holds: its length, committed block ids and ETag (null when it does not exist).</summary>
public sealed record UploadState(long Size, IReadOnlyList<string> CommittedBlocks, ETag? ETag)
{
    public static readonly UploadState Empty = new(0, [], null);
}
