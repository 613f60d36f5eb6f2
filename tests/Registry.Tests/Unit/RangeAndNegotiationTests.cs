using Registry.Errors;
using Registry.Http.Handlers;
using Registry.Oci;
using Registry.Services;

namespace Registry.Tests.Unit;

/// <summary>Content-Range of chunks, Range of blob reads and Accept negotiation of manifests.</summary>
public sealed class RangeAndNegotiationTests
{
    [Theory]
    [InlineData("0-99", 0, 99)]
    [InlineData("100-100", 100, 100)]
    [InlineData("bytes 5-9/*", 5, 9)]
    [InlineData("bytes 5-9/100", 5, 9)]
    public void ContentRangeTryParse_Valid_ReturnsStartAndEnd(string value, long start, long end)
    {
        Assert.True(ContentRange.TryParse(value, out var range));
        Assert.Equal((start, end), (range.Start, range.End));
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("9-5")]
    [InlineData("-5")]
    [InlineData("a-b")]
    [InlineData("bytes=0-5")]
    public void ContentRangeTryParse_Invalid_ReturnsFalse(string value) => Assert.False(ContentRange.TryParse(value, out _));

    [Theory]
    [InlineData("bytes=0-9", 100, 0, 9)]
    [InlineData("bytes=90-", 100, 90, 99)]
    [InlineData("bytes=-10", 100, 90, 99)]
    [InlineData("bytes=-1000", 100, 0, 99)]
    [InlineData("bytes=50-5000", 100, 50, 99)]
    public void ParseRange_Satisfiable_ReturnsRange(string header, long size, long start, long end)
    {
        var range = BlobHandlers.ParseRange(header, size);
        Assert.Equal((start, end), (range!.Value.Start, range.Value.End));
    }

    [Theory]
    [InlineData("bytes=100-", 100)]
    [InlineData("bytes=9-5", 100)]
    [InlineData("bytes=-0", 100)]
    [InlineData("bytes=x-1", 100)]
    public void ParseRange_Unsatisfiable_Throws416(string header, long size)
    {
        var e = Assert.Throws<RegistryException>(() => BlobHandlers.ParseRange(header, size));
        Assert.Equal(416, e.Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("items=0-5")]
    [InlineData("bytes=0-1,5-6")]
    public void ParseRange_AbsentOrMultiple_ReturnsNullForWholeBlob(string header) => Assert.Null(BlobHandlers.ParseRange(header, 100));

    [Theory]
    [InlineData(null, MediaTypes.ImageIndex, true)]
    [InlineData("*/*", MediaTypes.ImageIndex, true)]
    [InlineData("application/json", MediaTypes.ImageIndex, true)]
    [InlineData(MediaTypes.ImageIndex + ";q=0.5, " + MediaTypes.ImageManifest, MediaTypes.ImageIndex, true)]
    [InlineData(MediaTypes.ImageManifest + ", " + MediaTypes.DockerManifest, MediaTypes.ImageIndex, false)]
    [InlineData(MediaTypes.DockerManifest, MediaTypes.ImageManifest, false)]
    public void IsAcceptable_AcceptHeader_DecidesNegotiation(string? accept, string mediaType, bool expected) =>
        Assert.Equal(expected, ManifestHandlers.IsAcceptable(accept is null ? [] : [accept], mediaType));
}
