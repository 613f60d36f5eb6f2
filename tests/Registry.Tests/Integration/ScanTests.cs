using System.Net;
using System.Text;
using System.Text.Json;
using Registry.Oci;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Image scanning end to end on a standalone host: images made in the test are pushed, the OSV fixture is uploaded
/// as the vulnerability database, scans go through the Storage Queue, and /api/v0/imagescan reports DTR's summary.
/// Also: a whiteout removes a component, scanOnPush, an index scanned per platform, re-evaluation after a database
/// update with the layer gone from storage (so no layer is read again, and an image sharing it is scanned from its
/// stored analysis), and a layer that is no archive.
/// </summary>
public sealed class ScanTests : IAsyncLifetime
{
    private RegistryHost _host = null!;
    private OciTestClient _oci = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        _oci = new OciTestClient(_host.Client);
        using var update = await UploadDatabaseAsync(OsvFixture.Zip());
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Scan_AlpineImageWithOldOpenssl_ReportsCveWithComponentLayerAndFix()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("scan");
        var image = await PushImageAsync(repo, "v1", "amd64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled))));

        // Act
        using var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v1/linux/amd64", null);
        var summary = await WaitForScanAsync(repo, "v1");

        // Assert
        Assert.Equal(HttpStatusCode.Accepted, scan.StatusCode);
        var scanned = summary.GetProperty("scannedImage");
        Assert.Equal(image.Digest, scanned.GetProperty("manifestDigest").GetString());
        Assert.Equal((0, 1, 0), Counts(scanned));
        Assert.Equal(5.9, scanned.GetProperty("maxCVSSValue").GetDouble());
        var ssl = scanned.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "libssl1.1");
        Assert.Equal("1.1.1j-r0", ssl.GetProperty("version").GetString());
        Assert.Equal(image.Layers[0], ssl.GetProperty("layerDigest").GetString());
        Assert.Equal("lib/apk/db/installed", ssl.GetProperty("filepaths")[0].GetString());
        Assert.Equal("CVE-2021-3449", ssl.GetProperty("cves")[0].GetString());
        Assert.Equal("1.1.1k-r0", ssl.GetProperty("fixedVersions")[0].GetString());
        var cve = scanned.GetProperty("cves")[0];
        Assert.Equal(("CVE-2021-3449", "major", "https://security.alpinelinux.org/vuln/CVE-2021-3449"),
            (cve.GetProperty("cvePK").GetString(), cve.GetProperty("severity").GetString(), cve.GetProperty("link").GetString()));
        Assert.Contains(("OpenSSL", "permissive", "https://spdx.org/licenses/OpenSSL.html"), scanned.GetProperty("licenses").EnumerateArray()
            .Select(l => (l.GetProperty("name").GetString(), l.GetProperty("type").GetString(), l.GetProperty("url").GetString())));
        // DTR's models: the summary, the image with its pk and fingerprint, the layer's media type, a component's counts
        DtrContract.AssertMatches(summary, "ScanSummary");
        Assert.Equal((image.Digest, 1), (scanned.GetProperty("pk").GetString(), scanned.GetProperty("scannerFingerprint").GetProperty("scannerType").GetInt32()));
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", scanned.GetProperty("layers")[0].GetProperty("mediaType").GetString());
        Assert.Equal((0, 1, 0, "apk"), (ssl.GetProperty("vulnCount").GetProperty("critical").GetInt32(), ssl.GetProperty("vulnCount").GetProperty("major").GetInt32(),
            ssl.GetProperty("vulnCount").GetProperty("minor").GetInt32(), ssl.GetProperty("source").GetString()));
        // ... and DTR's Tag of the scanned image carries its components and licenses
        using var tagResponse = await _oci.Http.GetAsync($"/api/v0/repositories/{repo}/tags/v1");
        var tag = JsonDocument.Parse(await tagResponse.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Single();
        DtrContract.AssertMatches(tag, "Tag");
        Assert.Contains("libssl1.1", tag.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Contains("OpenSSL", tag.GetProperty("licenses").EnumerateArray().Select(l => l.GetProperty("name").GetString()));

        // ... and the SBOM is attached to the image as a CycloneDX referrer
        using var referrers = await _oci.Http.GetAsync($"/v2/{repo}/referrers/{image.Digest}?artifactType=application/vnd.cyclonedx%2Bjson");
        var sbomDescriptor = JsonDocument.Parse(await referrers.Content.ReadAsStringAsync()).RootElement.GetProperty("manifests").EnumerateArray().Single();
        using var sbomManifest = await _oci.Http.GetAsync($"/v2/{repo}/manifests/{sbomDescriptor.GetProperty("digest").GetString()}");
        var sbomLayer = JsonDocument.Parse(await sbomManifest.Content.ReadAsStringAsync()).RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
        var sbom = JsonDocument.Parse(await _oci.GetBlobAsync(repo, sbomLayer)).RootElement;
        Assert.Equal("CycloneDX", sbom.GetProperty("bomFormat").GetString());
        Assert.Contains("pkg:apk/alpine/libssl1.1@1.1.1j-r0?distro=alpine-3.13.5",
            sbom.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("purl").GetString()));
    }

    [Fact]
    public async Task LayerOverride_HiddenCve_LeftOutOfSummaryUntilRemoved()
    {
        // Arrange: a scanned image with CVE-2021-3449 in its one layer
        var repo = OciTestClient.NewRepository("scan");
        var image = await PushImageAsync(repo, "v1", "amd64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled))));
        using (var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v1", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, scan.StatusCode);
        }

        await WaitForScanAsync(repo, "v1");

        // Act: hide it, read, then show it again
        using var hide = await _oci.Http.PostAsync($"/api/v0/imagescan/layeroverride/{image.Layers[0]}",
            new StringContent("{\"component\":\"libssl1.1\",\"cve\":\"CVE-2021-3449\",\"notes\":\"not reachable\"}", Encoding.UTF8, "application/json"));
        var hidden = (await WaitForScanAsync(repo, "v1")).GetProperty("scannedImage");
        var prunedHidden = await PruningDryRunAsync(repo, "{\"field\":\"vulnerability_major\",\"operator\":\"gte\",\"values\":[\"1\"]}");
        var hideBody = JsonDocument.Parse(await hide.Content.ReadAsStringAsync()).RootElement;
        var id = hideBody.GetProperty("pk").GetString();
        using var show = await _oci.Http.DeleteAsync($"/api/v0/imagescan/layeroverride/{id}");
        var shown = (await WaitForScanAsync(repo, "v1")).GetProperty("scannedImage");
        var prunedShown = await PruningDryRunAsync(repo, "{\"field\":\"vulnerability_major\",\"operator\":\"gte\",\"values\":[\"1\"]}");
        using var badLayer = await _oci.Http.PostAsync("/api/v0/imagescan/layeroverride/not-a-digest",
            new StringContent("{\"component\":\"x\",\"cve\":\"CVE-1\"}", Encoding.UTF8, "application/json"));
        using var missing = await _oci.Http.DeleteAsync($"/api/v0/imagescan/layeroverride/{id}");

        // Assert
        Assert.Equal(HttpStatusCode.Created, hide.StatusCode);
        Assert.Equal((0, 0, 0), Counts(hidden));
        Assert.Empty(hidden.GetProperty("cves").EnumerateArray());
        Assert.Equal("not reachable", hidden.GetProperty("vulnOverrides")[0].GetProperty("notes").GetString());
        DtrContract.AssertMatches(hideBody, "LayerVulnOverride");
        Assert.Equal(image.Layers[0], hideBody.GetProperty("digest").GetString());
        Assert.Equal(HttpStatusCode.NoContent, show.StatusCode);
        Assert.Equal((0, 1, 0), Counts(shown));
        Assert.Empty(prunedHidden);
        Assert.Equal(new[] { "v1" }, prunedShown);
        Assert.Equal(HttpStatusCode.BadRequest, badLayer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Policies_RulesOnScanResults_PruneVulnerableAndPromoteCleanAfterScan()
    {
        // Arrange: an organization with a source (scan on push) and a target; two images, one with CVE-2021-3449
        using (var org = await _oci.Http.PostAsync("/enzi/v0/accounts", new StringContent("{\"name\":\"rules\",\"isOrg\":true}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, org.StatusCode);
        }

        foreach (var body in new[] { "{\"name\":\"src\",\"scanOnPush\":true}", "{\"name\":\"prod\"}" })
        {
            using var created = await _oci.Http.PostAsync("/api/v0/repositories/rules", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var promote = await _oci.Http.PostAsync("/api/v0/repositories/rules/src/promotionPolicies?initialEvaluation=false", new StringContent(
            "{\"targetRepository\":\"rules/prod\",\"tagTemplate\":\"%n-clean\",\"rules\":[{\"field\":\"vulnerability_all\",\"operator\":\"eq\",\"values\":[\"0\"]},{\"field\":\"component.name\",\"operator\":\"oo\",\"values\":[\"musl\"]}]}",
            Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, promote.StatusCode);
        }

        const string cleanDb = "C:Q1abc=\nP:musl\nV:1.2.2-r0\nL:MIT\no:musl\n\n";
        await PushImageAsync("rules/src", "vulnerable", "amd64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled))));
        await PushImageAsync("rules/src", "clean", "amd64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", cleanDb))));
        await WaitForScanAsync("rules/src", "vulnerable");
        await WaitForScanAsync("rules/src", "clean");

        // Act: promotions run after each scan completes; the standalone host takes jobs in order, so once the
        // clean image (pushed second) is promoted, the vulnerable one has been judged too
        var promoted = await WaitForManifestAsync("rules/prod", "clean-clean");
        using var notPromoted = await _oci.Http.GetAsync("/v2/rules/prod/manifests/vulnerable-clean");
        var pruned = await PruningDryRunAsync("rules/src", "{\"field\":\"vulnerability_major\",\"operator\":\"gte\",\"values\":[\"1\"]}");

        // Assert
        Assert.Equal(HttpStatusCode.OK, promoted);
        Assert.Equal(HttpStatusCode.NotFound, notPromoted.StatusCode);
        Assert.Equal(new[] { "vulnerable" }, pruned);
    }

    [Fact]
    public async Task LegacySummaryAndBatchCounts_AfterScan_DtrShapes()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("scan");
        var image = await PushImageAsync(repo, "v1", "amd64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled))));
        var before = JsonDocument.Parse(await _oci.Http.GetStringAsync($"/api/v0/imagescan/repositories/{repo}/v1")).RootElement[0].Clone();
        using (var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v1", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, scan.StatusCode);
        }

        await WaitForScanAsync(repo, "v1");

        // Act: detailed by default, as in DTR
        var legacy = JsonDocument.Parse(await _oci.Http.GetStringAsync($"/api/v0/imagescan/repositories/{repo}/v1")).RootElement[0];
        var brief = JsonDocument.Parse(await _oci.Http.GetStringAsync($"/api/v0/imagescan/repositories/{repo}/v1?detailed=false")).RootElement[0];
        using var batch = await _oci.Http.PostAsync("/api/v0/imagescan/scansummary/tags", new StringContent(
            $"{{\"images\":[{{\"name\":\"{repo}\",\"digest\":\"{image.Digest}\"}},{{\"name\":\"scan/missing\",\"digest\":\"{image.Digest}\"}}]}}", Encoding.UTF8, "application/json"));
        using var badBatch = await _oci.Http.PostAsync("/api/v0/imagescan/scansummary/tags", new StringContent(
            "{\"images\":[{\"name\":\"no-namespace\",\"digest\":\"sha256:1\"}]}", Encoding.UTF8, "application/json"));

        // Assert
        // DTR's OldScanSummary: Go's zero time exactly before the scan, Go's RFC 3339 (UTC, Z) after it
        DtrContract.AssertMatches(before, "OldScanSummary");
        DtrContract.AssertMatches(legacy, "OldScanSummary");
        Assert.Equal((1, "0001-01-01T00:00:00Z"), (before.GetProperty("last_scan_status").GetInt32(), before.GetProperty("check_completed_at").GetString()));
        Assert.Equal((6, 1, false), (legacy.GetProperty("last_scan_status").GetInt32(), legacy.GetProperty("major").GetInt32(), legacy.GetProperty("has_foreign_layers").GetBoolean()));
        Assert.Matches(@"^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$", legacy.GetProperty("check_completed_at").GetString());
        var layer = legacy.GetProperty("layer_details")[0];
        Assert.Equal(image.Layers[0], layer.GetProperty("sha256sum").GetString());
        var ssl = layer.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("component").GetString() == "libssl1.1");
        Assert.Equal(("CVE-2021-3449", 5.9, "OpenSSL"), (ssl.GetProperty("vulns")[0].GetProperty("vuln").GetProperty("cve").GetString(),
            ssl.GetProperty("vulns")[0].GetProperty("vuln").GetProperty("cvss").GetDouble(), ssl.GetProperty("license").GetProperty("name").GetString()));
        Assert.False(brief.TryGetProperty("layer_details", out _));
        var counts = JsonDocument.Parse(await batch.Content.ReadAsStringAsync()).RootElement.GetProperty("images");
        Assert.Equal(1, counts.GetProperty($"{repo}@{image.Digest}").GetProperty("major").GetInt32());
        Assert.Single(counts.EnumerateObject());
        Assert.Equal("INVALID_FORM_FIELD", await OciTestClient.ErrorCodeAsync(badBatch));
    }

    [Fact]
    public async Task Scan_DebianImageWithFilesItCannotRead_SourcePackagesShownSkipsListed()
    {
        // Arrange: libssl1.1 built from openssl (named by Debian's advisories), a package.json cut short, a Go binary
        // with golang.org/x/text at (devel) (kept, not matched) and one in a layer above with build information removed
        var repo = OciTestClient.NewRepository("scan");
        const string status = "Package: libssl1.1\nStatus: install ok installed\nSource: openssl (1.1.1k-1)\nVersion: 1.1.1j-1\n\n";
        var lower = TestLayers.Append(TestLayers.Tar(
                ("etc/os-release", "ID=debian\nVERSION_ID=\"11\"\n"), ("var/lib/dpkg/status", status),
                ("usr/lib/node_modules/broken/package.json", "{\"name\":\"broken\",\"vers")),
            "usr/local/bin/tool", TestLayers.GoBinary("go1.22.3", "path\texample.com/tool\nmod\texample.com/tool\t(devel)\t\ndep\tgolang.org/x/text\t(devel)\t\n"), executable: true);
        var stripped = new byte[8192];
        "\u007fELF"u8.CopyTo(stripped);
        (stripped[4], stripped[5]) = (2, 1);
        new byte[] { 4, 0, 0, 0, 20, 0, 0, 0, 4, 0, 0, 0, (byte)'G', (byte)'o', 0, 0 }.CopyTo(stripped, 0x100);   // the Go build ID note
        var upper = TestLayers.Append(TestLayers.Tar(("etc/motd", "hello")), "usr/local/bin/stripped", stripped, executable: true);
        var image = await PushImageAsync(repo, "v1", "amd64", TestLayers.Gzip(lower), TestLayers.Gzip(upper));

        // Act
        using var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v1", null);
        var summary = await WaitForScanAsync(repo, "v1");

        // Assert: completed, with what it skipped
        var scanned = summary.GetProperty("scannedImage");
        Assert.Equal(6, summary.GetProperty("scanStatus").GetInt32());
        var ssl = scanned.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "libssl1.1");
        Assert.Equal("openssl", ssl.GetProperty("sourceName").GetString());
        Assert.Equal("pkg:deb/debian/libssl1.1@1.1.1j-1?distro=debian-11&upstream=openssl", ssl.GetProperty("purl").GetString());
        Assert.Equal(["CVE-2021-3449", "CVE-2022-0778"], ssl.GetProperty("cves").EnumerateArray().Select(c => c.GetString()!).Order());
        var text = scanned.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "golang.org/x/text");
        Assert.Equal(("(devel)", 0, "pkg:golang/golang.org/x/text"),
            (text.GetProperty("version").GetString(), text.GetProperty("vulnCount").GetProperty("major").GetInt32(), text.GetProperty("purl").GetString()));
        var skipped = scanned.GetProperty("skipped").EnumerateArray()
            .Select(s => (s.GetProperty("path").GetString()!, s.GetProperty("layer").GetString()!, s.GetProperty("reason").GetString()![..14])).ToList();
        Assert.Equal(new[]
        {
            ("usr/lib/node_modules/broken/package.json", image.Layers[0], "not readable: "),
            ("usr/local/bin/stripped", image.Layers[1], "a Go executable"[..14]),
        }, skipped);
    }

    [Fact]
    public async Task ExportScanSummary_CsvOrJson_RowPerComponentAndCveFormulasEscaped()
    {
        // Arrange: the vulnerable Alpine database with one more package whose name a spreadsheet would run
        var repo = OciTestClient.NewRepository("scan");
        var installed = TestLayers.ApkInstalled + "P:=HYPERLINK(\"http://x\")\nV:1.0-r0\no:x\n\n";
        await PushImageAsync(repo, "v1", "amd64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", installed))));
        using (await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v1", null))
        {
            await WaitForScanAsync(repo, "v1");
        }

        // Act
        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/v0/imagescan/scansummary/repositories/{repo}/v1/export");
        csvRequest.Headers.Accept.ParseAdd("text/csv");
        using var csv = await _oci.Http.SendAsync(csvRequest);
        using var jsonRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/v0/imagescan/scansummary/repositories/{repo}/v1/export");
        jsonRequest.Headers.Accept.ParseAdd("application/json");
        using var json = await _oci.Http.SendAsync(jsonRequest);

        // Assert: RFC 4180 (CRLF, quoted where needed); one row per component, the vulnerable one with its CVE
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("attachment;", csv.Content.Headers.ContentDisposition!.ToString(), StringComparison.Ordinal);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("namespace,repository,tag,digest,os,architecture,component,version,type,source,purl,paths,layer,licenses,cve,severity,cvss,fixedVersions,summary,link", lines[0]);
        Assert.Equal(4, lines.Length);
        var ssl = lines.Single(l => l.Contains(",libssl1.1,", StringComparison.Ordinal));
        Assert.Contains(",CVE-2021-3449,major,5.9,1.1.1k-r0,", ssl, StringComparison.Ordinal);
        Assert.Contains(",openssl,pkg:apk/alpine/libssl1.1@1.1.1j-r0?distro=alpine-3.13.5,lib/apk/db/installed,", ssl, StringComparison.Ordinal);
        Assert.Contains(",\"'=HYPERLINK(\"\"http://x\"\")\",", lines.Single(l => l.Contains("HYPERLINK", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal(6, JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement[0].GetProperty("scanStatus").GetInt32());
    }

    [Fact]
    public async Task Scan_UpperLayerWhitesOutTheDatabase_NoComponentsLeft()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("scan");
        var base_ = TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled)));
        var top = TestLayers.Zstd(TestLayers.Tar(("lib/apk/db/.wh.installed", "")));
        await PushImageAsync(repo, "v1", "amd64", base_, top);

        // Act
        using var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v1", null);
        var summary = await WaitForScanAsync(repo, "v1");

        // Assert
        Assert.Empty(summary.GetProperty("scannedImage").GetProperty("components").EnumerateArray());
        Assert.Equal((0, 0, 0), Counts(summary.GetProperty("scannedImage")));
    }

    [Fact]
    public async Task Push_RepositoryWithScanOnPush_ScannedWithoutAsking()
    {
        // Arrange: an organization with a repository that scans on push
        using var org = await _oci.Http.PostAsync("/enzi/v0/accounts", new StringContent("{\"name\":\"scanpush\",\"isOrg\":true}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, org.StatusCode);
        using var created = await _oci.Http.PostAsync("/api/v0/repositories/scanpush",
            new StringContent("{\"name\":\"auto\",\"scanOnPush\":true}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // Act
        await PushImageAsync("scanpush/auto", "v1", "amd64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled))));
        var summary = await WaitForScanAsync("scanpush/auto", "v1");

        // Assert
        Assert.Equal((0, 1, 0), Counts(summary.GetProperty("scannedImage")));
    }

    [Fact]
    public async Task Scan_Index_OneJobPerPlatform()
    {
        // Arrange
        var repo = OciTestClient.NewRepository("scan");
        var layer = TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled)));
        var amd64 = await PushImageAsync(repo, "amd64", "amd64", layer);
        var arm64 = await PushImageAsync(repo, "arm64", "arm64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease))));
        var index = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageIndex}\",\"manifests\":[" +
                    $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{amd64.Digest}\",\"size\":{amd64.Size},\"platform\":{{\"os\":\"linux\",\"architecture\":\"amd64\"}}}}," +
                    $"{{\"mediaType\":\"{MediaTypes.ImageManifest}\",\"digest\":\"{arm64.Digest}\",\"size\":{arm64.Size},\"platform\":{{\"os\":\"linux\",\"architecture\":\"arm64\"}}}}]}}";
        using (var put = await _oci.PutManifestAsync(repo, "multi", index, MediaTypes.ImageIndex))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Act
        using var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/multi", null);
        await WaitForScanAsync(repo, "multi", "arm64");
        await WaitForScanAsync(repo, "multi", "amd64");
        using var all = await _oci.Http.GetAsync($"/api/v0/imagescan/scansummary/repositories/{repo}/multi");
        var summaries = JsonDocument.Parse(await all.Content.ReadAsStringAsync()).RootElement;

        // Assert
        Assert.Equal(2, JsonDocument.Parse(await scan.Content.ReadAsStringAsync()).RootElement.GetProperty("manifestDigests").GetArrayLength());
        var byArch = summaries.EnumerateArray().ToDictionary(s => s.GetProperty("scannedImage").GetProperty("architecture").GetString()!, s => Counts(s.GetProperty("scannedImage")));
        Assert.Equal((0, 1, 0), byArch["amd64"]);
        Assert.Equal((0, 0, 0), byArch["arm64"]);
    }

    [Fact]
    public async Task UpdateDatabase_AfterScan_ImagesEvaluatedAgainWithoutTheirLayers()
    {
        // Arrange: a scanned image whose layer blob is then removed from storage
        var repo = OciTestClient.NewRepository("scan");
        var image = await PushImageAsync(repo, "v1", "amd64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled))));
        using (var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v1", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, scan.StatusCode);
        }

        await WaitForScanAsync(repo, "v1");
        var layer = Digest.TryParse(image.Layers[0], out var d) ? d : throw new InvalidOperationException();
        await new Azure.Storage.Blobs.BlobContainerClient(AzuriteCheck.ConnectionString, _host.StoragePrefix)
            .DeleteBlobAsync(Registry.Storage.StorageLayout.ContentPath(layer));

        // Act: a database in which openssl has a second, critical advisory
        var extra = """
            {"id":"ALPINE-CVE-2099-0001","aliases":["CVE-2099-0001"],"summary":"A made-up critical flaw",
             "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
             "affected":[{"package":{"ecosystem":"Alpine:v3.13","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1z-r0"}]}]}]}
            """;
        using var update = await UploadDatabaseAsync(OsvFixture.Zip(extra));
        using var again = await _oci.Http.GetAsync($"/api/v0/imagescan/scansummary/repositories/{repo}/v1");
        var summary = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement[0];

        // Assert
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        Assert.Equal(6, summary.GetProperty("scanStatus").GetInt32());
        Assert.Equal((1, 1, 0), Counts(summary.GetProperty("scannedImage")));

        // ... and another image with the same layer is scanned from the layer's stored analysis
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"arm64\",\"os\":\"linux\"}");
        var configDigest = await _oci.PushBlobAsync(repo, config);
        var manifest = OciTestClient.ImageManifestJson(configDigest, config.Length, image.Layers[0], image.LayerSizes[0]);
        using (var put = await _oci.PutManifestAsync(repo, "v2", manifest))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v2", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, scan.StatusCode);
        }

        Assert.Equal((1, 1, 0), Counts((await WaitForScanAsync(repo, "v2")).GetProperty("scannedImage")));
    }

    [Fact]
    public async Task Scan_LayerThatIsNoArchive_FailedWithReason()
    {
        // Arrange: a gzip header and nothing after it
        var repo = OciTestClient.NewRepository("scan");
        await PushImageAsync(repo, "v1", "amd64", [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]);

        // Act
        using var scan = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/v1", null);
        var summary = await WaitForScanAsync(repo, "v1", status: 0);

        // Assert
        Assert.True(summary.GetProperty("shouldRescan").GetBoolean());
        Assert.Contains("not a readable tar", summary.GetProperty("error").GetString());
    }

    [Fact]
    public async Task UpdateDatabase_FormEncodedMultipartAndGarbage_AcceptedOrRefusedWithoutLoss()
    {
        // Arrange
        var before = JsonDocument.Parse(await _oci.Http.GetStringAsync("/api/v0/imagescan/status")).RootElement.GetProperty("databaseVersion").GetString();
        var zip = OsvFixture.Zip();

        // Act: curl's default content type, a multipart form, then bytes that are no database
        using var formEncoded = await _oci.Http.PutAsync("/api/v0/imagescan/scan/update",
            new ByteArrayContent(zip) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded") } });
        using var multipart = await _oci.Http.PutAsync("/api/v0/imagescan/scan/update", new MultipartFormDataContent { { new ByteArrayContent(zip), "file", "db.zip" } });
        var good = JsonDocument.Parse(await _oci.Http.GetStringAsync("/api/v0/imagescan/status")).RootElement.GetProperty("databaseVersion").GetString();
        using var garbage = await _oci.Http.PutAsync("/api/v0/imagescan/scan/update", new StringContent("this is not a database"));
        using var brokenForm = await _oci.Http.PutAsync("/api/v0/imagescan/scan/update",
            new StringContent("--x", Encoding.UTF8) { Headers = { ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x") } });
        using var badFlag = await _oci.Http.PutAsync("/api/v0/imagescan/scan/update?online=maybe", new ByteArrayContent(zip));
        var after = JsonDocument.Parse(await _oci.Http.GetStringAsync("/api/v0/imagescan/status")).RootElement.GetProperty("databaseVersion").GetString();

        // Assert
        Assert.Equal(HttpStatusCode.OK, formEncoded.StatusCode);
        Assert.Equal(HttpStatusCode.OK, multipart.StatusCode);
        Assert.NotEqual(before, good);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Equal("INVALID_PARAMETER", await OciTestClient.ErrorCodeAsync(garbage));
        Assert.Equal(("INVALID_PARAMETER", "INVALID_PARAMETER"), (await OciTestClient.ErrorCodeAsync(brokenForm), await OciTestClient.ErrorCodeAsync(badFlag)));
        Assert.Equal(good, after);
    }

    [Theory]
    [InlineData("POST", "/api/v0/imagescan/scan/scan/missing/v1", 404)]
    [InlineData("GET", "/api/v0/imagescan/scansummary/repositories/scan/missing/v1", 404)]
    public async Task Imagescan_UnknownRepository_NotFound(string method, string path, int status)
    {
        // Act
        using var response = await _oci.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        // Assert
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("NO_SUCH_REPOSITORY", await OciTestClient.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Scan_EmptyIndexOrNoMatchingPlatform_NoSuchTagAndNothingQueued()
    {
        // Arrange: an index of no image, and an amd64 image
        var repo = OciTestClient.NewRepository("scan");
        using (var put = await _oci.PutManifestAsync(repo, "empty", $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageIndex}\",\"manifests\":[]}}", MediaTypes.ImageIndex))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        await PushImageAsync(repo, "amd", "amd64", TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease))));

        // Act
        using var empty = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/empty", null);
        using var arm = await _oci.Http.PostAsync($"/api/v0/imagescan/scan/{repo}/amd/linux/arm64", null);
        var summary = await _oci.Http.GetStringAsync($"/api/v0/imagescan/scansummary/repositories/{repo}/empty");

        // Assert
        Assert.Equal(("NO_SUCH_TAG", "NO_SUCH_TAG"), (await OciTestClient.ErrorCodeAsync(empty), await OciTestClient.ErrorCodeAsync(arm)));
        Assert.Contains("without an image of a known platform", await empty.Content.ReadAsStringAsync());
        Assert.Contains("no image for linux/arm64", await arm.Content.ReadAsStringAsync());
        Assert.Equal("[]", summary);
    }

    private sealed record Pushed(string Digest, long Size, IReadOnlyList<string> Layers, IReadOnlyList<long> LayerSizes);

    private async Task<Pushed> PushImageAsync(string repo, string tag, string architecture, params byte[][] layers)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"{architecture}\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}");
        var configDigest = await _oci.PushBlobAsync(repo, config);
        var descriptors = new List<string>();
        foreach (var layer in layers)
        {
            descriptors.Add(await _oci.PushBlobAsync(repo, layer));
        }

        var manifest = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.ImageManifest}\",\"config\":{{\"mediaType\":\"{MediaTypes.ImageConfig}\",\"digest\":\"{configDigest}\",\"size\":{config.Length}}}," +
                       $"\"layers\":[{string.Join(",", descriptors.Select((d, i) => $"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{d}\",\"size\":{layers[i].Length}}}"))}]}}";
        using var put = await _oci.PutManifestAsync(repo, tag, manifest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return new Pushed(OciTestClient.DigestOf(Encoding.UTF8.GetBytes(manifest)), Encoding.UTF8.GetByteCount(manifest), descriptors,
            layers.Select(l => (long)l.Length).ToList());
    }

    private Task<JsonElement> WaitForScanAsync(string repo, string reference, string? arch = null, int status = 6) =>
        _oci.WaitForScanAsync(repo, reference, arch, status, () => _host.Output);

    /// <summary>The tags a pruning policy of one rule would delete (the policy dry run).</summary>
    private async Task<List<string?>> PruningDryRunAsync(string repo, string rule)
    {
        using var response = await _oci.Http.PostAsync($"/api/v0/repositories/{repo}/pruningPolicies/test",
            new StringContent($"{{\"rules\":[{rule}]}}", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
    }

    private async Task<HttpStatusCode> WaitForManifestAsync(string repo, string reference)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await _oci.Http.GetAsync($"/v2/{repo}/manifests/{reference}");
            if (response.StatusCode != HttpStatusCode.NotFound || DateTime.UtcNow >= deadline)
            {
                return response.StatusCode;
            }

            await Task.Delay(200);
        }
    }

    private static (int, int, int) Counts(JsonElement scanned)
    {
        var counts = scanned.GetProperty("totalVulnCount");
        return (counts.GetProperty("critical").GetInt32(), counts.GetProperty("major").GetInt32(), counts.GetProperty("minor").GetInt32());
    }

    private Task<HttpResponseMessage> UploadDatabaseAsync(byte[] zip) =>
        _oci.Http.PutAsync("/api/v0/imagescan/scan/update", new ByteArrayContent(zip));
}
