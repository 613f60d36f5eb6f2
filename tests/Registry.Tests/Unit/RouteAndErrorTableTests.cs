using Registry.Errors;
using Registry.Http;

namespace Registry.Tests.Unit;

/// <summary>The route table and the error table.</summary>
public sealed class RouteAndErrorTableTests
{
    [Theory]
    [InlineData("", RouteName.Base, null, null, null, null)]
    [InlineData("_catalog", RouteName.Catalog, null, null, null, null)]
    [InlineData("a/b/tags/list", RouteName.Tags, "a/b", null, null, null)]
    [InlineData("a/manifests/latest", RouteName.Manifest, "a", "latest", null, null)]
    [InlineData("a/manifests/b/manifests/sha256:x", RouteName.Manifest, "a/manifests/b", "sha256:x", null, null)]
    [InlineData("a/blobs/sha256:x", RouteName.Blob, "a", null, "sha256:x", null)]
    [InlineData("a/blobs/uploads/", RouteName.BlobUploadStart, "a", null, null, null)]
    [InlineData("a/blobs/uploads", RouteName.BlobUploadStart, "a", null, null, null)]
    [InlineData("a/b/blobs/uploads/0123", RouteName.BlobUpload, "a/b", null, null, "0123")]
    [InlineData("x/referrers/sha256:y", RouteName.Referrers, "x", null, "sha256:y", null)]
    public void Match_KnownPath_ReturnsRouteAndCaptures(string path, RouteName route, string? name, string? reference, string? digest, string? upload)
    {
        // Act
        var match = RouteTable.Match(path);

        // Assert
        Assert.NotNull(match);
        Assert.Equal(route, match.Route.Name);
        Assert.Equal(name, match.Name);
        Assert.Equal(reference, match.Reference);
        Assert.Equal(digest, match.Digest);
        Assert.Equal(upload, match.UploadId);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a/unknown/x")]
    [InlineData("a/manifests/")]
    [InlineData("a/tags/list/more")]
    public void Match_UnknownPath_ReturnsNull(string path) => Assert.Null(RouteTable.Match(path));

    [Fact]
    public void RouteTable_EveryRow_NeedsTheAccessOfItsMethod()
    {
        // Act: what each row asks of the token, by method
        var rows = RouteTable.Routes.SelectMany(r => r.Methods.Select(m => (r.Name, m.Method, m.Access))).ToList();

        // Assert: one row per method of a route; whatever writes needs push (or delete for deletes); reads need at most
        // pull, except an upload's status, which only its pusher may see; the Notary routes ask what notary-server asks
        // (server/server.go): a key needs push to read (it may be made) and everything to rotate, a delete everything
        Assert.Equal(rows.Count, rows.Select(r => (r.Name, r.Method)).Distinct().Count());
        foreach (var (route, method, access) in rows)
        {
            var expected = (route, method) switch
            {
                (RouteName.Base, _) => RequiredAccess.None,
                (RouteName.Catalog, _) => RequiredAccess.Catalog,
                (RouteName.BlobUpload or RouteName.BlobUploadStart, _) => RequiredAccess.Push,
                (RouteName.TrustKey, "GET") => RequiredAccess.Push,
                (RouteName.TrustKey, "POST") or (RouteName.TrustCollection, "DELETE") => RequiredAccess.Admin,
                (_, "PUT" or "POST" or "PATCH") => RequiredAccess.Push,
                (_, "DELETE") => RequiredAccess.Delete,
                _ => RequiredAccess.Pull,
            };
            Assert.True(expected == access, $"{method} {route} needs {expected}, the table says {access}");
        }
    }

    [Fact]
    public void ErrorTable_HasExactlyTheFourteenSpecCodes()
    {
        // Arrange
        string[] spec =
        [
            "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
            "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED",
            "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
        ];

        // Assert
        Assert.Equal(spec.Order(), OciErrors.Table.Values.Select(d => d.Code).Order());
        Assert.Equal(Enum.GetValues<OciErrorCode>().Length, OciErrors.Table.Count);
    }

    [Theory]
    [InlineData(OciErrorCode.BlobUnknown, 404)]
    [InlineData(OciErrorCode.BlobUploadInvalid, 400)]
    [InlineData(OciErrorCode.BlobUploadUnknown, 404)]
    [InlineData(OciErrorCode.DigestInvalid, 400)]
    [InlineData(OciErrorCode.ManifestBlobUnknown, 400)]
    [InlineData(OciErrorCode.ManifestInvalid, 400)]
    [InlineData(OciErrorCode.ManifestUnknown, 404)]
    [InlineData(OciErrorCode.NameInvalid, 400)]
    [InlineData(OciErrorCode.NameUnknown, 404)]
    [InlineData(OciErrorCode.SizeInvalid, 400)]
    [InlineData(OciErrorCode.Unauthorized, 401)]
    [InlineData(OciErrorCode.Denied, 403)]
    [InlineData(OciErrorCode.Unsupported, 405)]
    [InlineData(OciErrorCode.TooManyRequests, 429)]
    public void ErrorTable_Code_HasDistributionStatus(OciErrorCode code, int status) => Assert.Equal(status, OciErrors.Describe(code).Status);

    [Fact]
    public void ErrorEnvelope_FromException_HasCodeMessageAndDetail()
    {
        // Arrange
        var e = RegistryException.Of(OciErrorCode.BlobUnknown, "gone", "digest", "sha256:x");

        // Act
        var json = System.Text.Json.JsonSerializer.Serialize(ErrorEnvelope.From(e));

        // Assert
        Assert.Equal("{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"gone\",\"detail\":{\"digest\":\"sha256:x\"}}]}", json);
    }
}
