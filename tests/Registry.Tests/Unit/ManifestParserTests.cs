using System.Text;
using Registry.Errors;
using Registry.Oci;

namespace Registry.Tests.Unit;

/// <summary>Manifest checks: media types, schema, descriptors, size, subject and artifact type.</summary>
public sealed class ManifestParserTests
{
    private const string Config = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Layer = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    private static readonly string Image =
        $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{Config}}}","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{{Layer}}}","size":3}]}""";

    [Fact]
    public void Parse_OciImage_ListsBlobsAndDigestOfExactBytes()
    {
        // Act
        var parsed = ManifestParser.Parse(Encoding.UTF8.GetBytes(Image), MediaTypes.ImageManifest);

        // Assert
        Assert.Equal(MediaTypes.ImageManifest, parsed.MediaType);
        Assert.Equal(new[] { Config, Layer }, parsed.Blobs.Select(b => b.Digest));
        Assert.Empty(parsed.Manifests);
        Assert.Equal(Digest.ComputeSha256(Encoding.UTF8.GetBytes(Image)), parsed.Digest);
        Assert.Null(parsed.ArtifactType);
    }

    [Fact]
    public void Parse_NoContentType_UsesBodyMediaType()
    {
        var parsed = ManifestParser.Parse(Encoding.UTF8.GetBytes(Image), null);
        Assert.Equal(MediaTypes.ImageManifest, parsed.MediaType);
    }

    [Fact]
    public void Parse_ContentTypeWithParameters_IsAccepted()
    {
        var parsed = ManifestParser.Parse(Encoding.UTF8.GetBytes(Image), MediaTypes.ImageManifest + "; charset=utf-8");
        Assert.Equal(MediaTypes.ImageManifest, parsed.MediaType);
    }

    [Fact]
    public void Parse_Index_ListsChildren()
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifestList}}}","manifests":[{"mediaType":"{{{MediaTypes.DockerManifest}}}","digest":"{{{Layer}}}","size":7,"platform":{"architecture":"arm64","os":"linux"}}]}""";
        var parsed = ManifestParser.Parse(Encoding.UTF8.GetBytes(json), MediaTypes.DockerManifestList);
        Assert.Equal(Layer, Assert.Single(parsed.Manifests).Digest);
        Assert.Empty(parsed.Blobs);
    }

    [Fact]
    public void Parse_ArtifactWithSubject_KeepsSubjectAndArtifactType()
    {
        // Arrange: no artifactType field, so the config media type names the artifact
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.ImageManifest}}}","config":{"mediaType":"application/vnd.example.sig","digest":"{{{Config}}}","size":2},"layers":[],"subject":{"mediaType":"{{{MediaTypes.ImageManifest}}}","digest":"{{{Layer}}}","size":9}}""";

        // Act
        var parsed = ManifestParser.Parse(Encoding.UTF8.GetBytes(json), MediaTypes.ImageManifest);

        // Assert
        Assert.Equal(Layer, parsed.Subject!.Digest);
        Assert.Equal("application/vnd.example.sig", parsed.ArtifactType);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("\"text\"")]
    [InlineData("{}")]
    [InlineData("{\"schemaVersion\":2}")]
    [InlineData("{\"schemaVersion\":2,\"config\":null,\"layers\":[]}")]
    [InlineData("{\"schemaVersion\":\"2\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" + Config + "\",\"size\":1},\"layers\":[]}")]
    [InlineData("{\"schemaVersion\":3,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" + Config + "\",\"size\":1},\"layers\":[]}")]
    [InlineData("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:zz\",\"size\":1},\"layers\":[]}")]
    [InlineData("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" + Config + "\",\"size\":-1},\"layers\":[]}")]
    [InlineData("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"\",\"digest\":\"" + Config + "\",\"size\":1},\"layers\":[]}")]
    [InlineData("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"" + Config + "\",\"size\":1},\"layers\":null}")]
    public void Parse_InvalidImageManifest_ThrowsManifestInvalid(string json)
    {
        var e = Assert.Throws<RegistryException>(() => ManifestParser.Parse(Encoding.UTF8.GetBytes(json), MediaTypes.ImageManifest));
        Assert.Equal(OciErrorCode.ManifestInvalid, e.Code);
        Assert.Equal(400, e.Status);
    }

    [Theory]
    [InlineData(MediaTypes.DockerSchema1)]
    [InlineData(MediaTypes.DockerSchema1Signed)]
    [InlineData("application/vnd.example.unknown")]
    [InlineData(MediaTypes.ImageIndex)]
    public void Parse_WrongOrUnsupportedMediaType_ThrowsManifestInvalid(string contentType)
    {
        var e = Assert.Throws<RegistryException>(() => ManifestParser.Parse(Encoding.UTF8.GetBytes(Image), contentType));
        Assert.Equal(OciErrorCode.ManifestInvalid, e.Code);
    }

    [Fact]
    public void Parse_Schema1InBody_IsRefusedWithClearMessage()
    {
        var json = "{\"schemaVersion\":1,\"mediaType\":\"" + MediaTypes.DockerSchema1Signed + "\",\"name\":\"x\"}";
        var e = Assert.Throws<RegistryException>(() => ManifestParser.Parse(Encoding.UTF8.GetBytes(json), "application/json"));
        Assert.Contains("schema 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Over4MiB_Throws413SizeInvalid()
    {
        var e = Assert.Throws<RegistryException>(() => ManifestParser.Parse(new byte[OciLimits.MaxManifestBytes + 1], MediaTypes.ImageManifest));
        Assert.Equal(OciErrorCode.SizeInvalid, e.Code);
        Assert.Equal(413, e.Status);
    }
}
