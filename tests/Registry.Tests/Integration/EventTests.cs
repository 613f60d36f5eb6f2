using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// Registry events through the Storage Queue publisher on Azurite, read back from the queue as a consumer reads them:
/// each event type raised by the real action (push, pull by tag and by digest, delete of a tag by /v2 and by the DTR
/// API, delete by digest, repository created, updated and deleted, a scan completed and a scan failed, a tag moved, a
/// mount, a promotion, a signature, a GC run, a database update that worked and one that failed) with its exact
/// CloudEvents envelope and DTR payload;
/// and the outbox: events raised while the publisher's queue service is down are published once it is back.
/// </summary>
public sealed class EventTests
{
    private const string Host = "registry.example";

    [Fact]
    public async Task ImageActions_RaiseDtrEventsInCloudEvents()
    {
        // Arrange
        var queue = NewQueueName();
        await using var host = await RegistryHost.StartAsync(settings: Settings(queue, AzuriteCheck.ConnectionString + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"));
        var auth = new AuthClient(host.Client);
        var oci = await auth.AdminClientAsync("repository:ev/app:pull,push,delete");
        var client = new QueueClient(AzuriteCheck.ConnectionString + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;", queue);

        // Act
        var image = await oci.PushImageAsync("ev/app", "v1");
        var push = await ReadAsync(client, 2);
        using (await oci.Http.GetAsync("/v2/ev/app/manifests/v1"))
        using (await oci.HeadAsync("/v2/ev/app/manifests/v1"))
        using (await oci.Http.GetAsync($"/v2/ev/app/manifests/{image.Digest}"))
        {
        }

        var pulls = await ReadAsync(client, 2);
        using (await oci.Http.DeleteAsync("/v2/ev/app/manifests/v1"))
        {
        }

        var tagDelete = await ReadAsync(client, 1);
        using (await oci.Http.DeleteAsync($"/v2/ev/app/manifests/{image.Digest}"))
        {
        }

        var manifestDelete = await ReadAsync(client, 1);

        // Assert: the envelope, and DTR's contents field by field
        var manifestPush = push.Single(e => e.GetProperty("type").GetString() == "MANIFEST_PUSH");
        AssertEnvelope(manifestPush, "MANIFEST_PUSH", $"{Host}/ev/app@{image.Digest}");
        AssertContents(manifestPush, ["namespace", "repository", "digest", "imageName", "os", "architecture", "author", "pushedAt"],
            ("namespace", "ev"), ("repository", "app"), ("digest", image.Digest), ("imageName", $"{Host}/ev/app@{image.Digest}"),
            ("os", "linux"), ("architecture", "amd64"), ("author", AuthClient.AdminUser));
        var tagPush = push.Single(e => e.GetProperty("type").GetString() == "TAG_PUSH");
        AssertEnvelope(tagPush, "TAG_PUSH", $"{Host}/ev/app:v1");
        AssertContents(tagPush, ["namespace", "repository", "tag", "digest", "imageName", "os", "architecture", "author", "pushedAt"],
            ("tag", "v1"), ("digest", image.Digest), ("imageName", $"{Host}/ev/app:v1"), ("author", AuthClient.AdminUser));
        Assert.Equal(["MANIFEST_PULL", "TAG_PULL"], pulls.Select(e => e.GetProperty("type").GetString()).Order());
        AssertContents(pulls.Single(e => e.GetProperty("type").GetString() == "TAG_PULL"),
            ["namespace", "repository", "tag", "digest", "imageName", "os", "architecture", "author", "pulledAt"], ("tag", "v1"), ("os", "linux"));
        AssertContents(tagDelete.Single(), ["namespace", "repository", "tag", "digest", "imageName", "os", "architecture", "author", "deletedAt"],
            ("tag", "v1"), ("digest", image.Digest));
        Assert.Equal("TAG_DELETE", tagDelete.Single().GetProperty("type").GetString());
        Assert.Equal("MANIFEST_DELETE", manifestDelete.Single().GetProperty("type").GetString());
        AssertContents(manifestDelete.Single(), ["namespace", "repository", "digest", "imageName", "os", "architecture", "author", "deletedAt"],
            ("digest", image.Digest), ("author", AuthClient.AdminUser));
    }

    [Fact]
    public async Task Scans_RaiseScanCompletedAndScanFailed()
    {
        // Arrange: an Alpine image with a known CVE in the fixture database, and an image whose layer is no archive
        var queue = NewQueueName();
        var connection = AzuriteCheck.ConnectionString + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;";
        await using var host = await RegistryHost.StartAsync(settings: Settings(queue, connection));
        var auth = new AuthClient(host.Client);
        var oci = await auth.AdminClientAsync("repository:ev/scanned:pull,push", "repository:ev/broken:pull,push");
        using (var upload = new HttpRequestMessage(HttpMethod.Put, "/api/v0/imagescan/scan/update") { Content = new ByteArrayContent(OsvFixture.Zip()) })
        {
            upload.Headers.Authorization = AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword);
            using var uploaded = await host.Client.SendAsync(upload);
            Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        }

        var layer = TestLayers.Gzip(TestLayers.Tar(("etc/os-release", TestLayers.AlpineRelease), ("lib/apk/db/installed", TestLayers.ApkInstalled)));
        var scanned = await oci.PushImageAsync("ev/scanned", "v1", layer: layer);
        var broken = await oci.PushImageAsync("ev/broken", "v1", layer: [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]);
        Assert.Single(await ReadAsync(new QueueClient(connection, queue), 5), e => e.GetProperty("type").GetString() == "SCANNER_UPDATE_COMPLETED");

        // Act
        foreach (var repo in new[] { "ev/scanned", "ev/broken" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v0/imagescan/scan/{repo}/v1");
            request.Headers.Authorization = AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword);
            using var started = await host.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        var events = await ReadAsync(new QueueClient(connection, queue), 2);

        // Assert
        var completed = events.Single(e => e.GetProperty("type").GetString() == "SCAN_COMPLETED");
        AssertEnvelope(completed, "SCAN_COMPLETED", $"{Host}/ev/scanned@{scanned.Digest}");
        AssertContents(completed, ["namespace", "repository", "digest", "imageName", "os", "architecture", "author", "scannedAt", "scanSummary"],
            ("digest", scanned.Digest), ("os", "linux"), ("architecture", "amd64"));
        var summary = Contents(completed).GetProperty("scanSummary");
        Assert.Equal(["critical", "major", "minor", "last_scan_status", "check_completed_at"], summary.EnumerateObject().Select(p => p.Name));
        Assert.Equal((0, 1, 0, 6), (summary.GetProperty("critical").GetInt32(), summary.GetProperty("major").GetInt32(),
            summary.GetProperty("minor").GetInt32(), summary.GetProperty("last_scan_status").GetInt32()));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$", summary.GetProperty("check_completed_at").GetString());
        var failed = events.Single(e => e.GetProperty("type").GetString() == "SCAN_FAILED");
        AssertContents(failed, ["namespace", "repository", "digest", "imageName", "os", "architecture", "author", "scannedAt", "error"], ("digest", broken.Digest));
        Assert.False(string.IsNullOrEmpty(Contents(failed).GetProperty("error").GetString()));
    }

    [Fact]
    public async Task OtherActions_RaiseTagMoveMountPromotionSigningGcAndDatabaseEvents()
    {
        // Arrange
        var queue = NewQueueName();
        var connection = AzuriteCheck.ConnectionString + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;";
        await using var host = await RegistryHost.StartAsync(settings: Settings(queue, connection));
        var auth = new AuthClient(host.Client);
        var client = new QueueClient(connection, queue);
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "src", visibility = "private" });
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "dst", visibility = "private" });
        Assert.Equal(2, (await ReadAsync(client, 2)).Count);
        var oci = await auth.AdminClientAsync("repository:admin/src:pull,push", "repository:admin/mounted:pull,push");
        var first = await oci.PushImageAsync("admin/src", "v1");
        Assert.DoesNotContain(await ReadAsync(client, 2), e => Contents(e).TryGetProperty("previousDigest", out _));

        // Act and assert: a tag moved to another image names the digest it left
        var second = await oci.PushImageAsync("admin/src", "v1");
        var moved = (await ReadAsync(client, 2)).Single(e => e.GetProperty("type").GetString() == "TAG_PUSH");
        AssertContents(moved, ["namespace", "repository", "tag", "digest", "imageName", "os", "architecture", "author", "pushedAt", "previousDigest"],
            ("digest", second.Digest), ("previousDigest", first.Digest));

        // a cross-repository mount
        using (var mount = await oci.Http.PostAsync($"/v2/admin/mounted/blobs/uploads/?mount={second.LayerDigest}&from=admin/src", null))
        {
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        }

        var mounted = (await ReadAsync(client, 1)).Single();
        AssertEnvelope(mounted, "BLOB_MOUNT", "admin/mounted");
        AssertContents(mounted, ["namespace", "repository", "digest", "size", "from", "author", "mountedAt"],
            ("namespace", "admin"), ("repository", "mounted"), ("digest", second.LayerDigest), ("from", "admin/src"), ("author", AuthClient.AdminUser));
        Assert.Equal(second.Layer.Length, Contents(mounted).GetProperty("size").GetInt64());

        // a manual promotion: the target's pushes, and PROMOTION in the source
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin/src/tags/v1/promotion", new { targetRepository = "admin/dst", targetTag = "prod" });
        var promotion = await ReadAsync(client, 3);
        Assert.Equal(["MANIFEST_PUSH", "PROMOTION", "TAG_PUSH"], promotion.Select(e => e.GetProperty("type").GetString()).Order());
        var promoted = promotion.Single(e => e.GetProperty("type").GetString() == "PROMOTION");
        AssertEnvelope(promoted, "PROMOTION", $"{Host}/admin/src:v1");
        AssertContents(promoted, ["namespace", "repository", "tag", "digest", "imageName", "os", "architecture", "author", "promotedAt", "targetRepository",
            "targetTag", "promotionPolicy"], ("repository", "src"), ("tag", "v1"), ("digest", second.Digest), ("targetRepository", "admin/dst"),
            ("targetTag", "prod"), ("promotionPolicy", "manual"));

        // signing by a policy's initial evaluation
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin/dst/signingPolicies",
            new { rules = new[] { new { field = "tag", @operator = "eq", values = new[] { "prod" } } } });
        var signed = (await ReadAsync(client, 1)).Single();
        AssertEnvelope(signed, "IMAGE_SIGNED", $"{Host}/admin/dst@{second.Digest}");
        AssertContents(signed, ["namespace", "repository", "digest", "imageName", "os", "architecture", "author", "signedAt", "signatureDigest", "signer",
            "signatureFormat"], ("repository", "dst"), ("digest", second.Digest), ("signatureFormat", "notation-cose"));
        Assert.StartsWith("CN=", Contents(signed).GetProperty("signer").GetString());

        // a GC run
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/jobs", new { action = "onlinegc" });
        var gc = (await ReadAsync(client, 1)).Single();
        AssertEnvelope(gc, "GC_COMPLETED", "gc");
        Assert.False(Contents(gc).GetProperty("dryRun").GetBoolean());
        Assert.True(Contents(gc).GetProperty("complete").GetBoolean());

        // a vulnerability database update, and one that fails
        using (var upload = new HttpRequestMessage(HttpMethod.Put, "/api/v0/imagescan/scan/update") { Content = new ByteArrayContent(OsvFixture.Zip()) })
        using (var bad = new HttpRequestMessage(HttpMethod.Put, "/api/v0/imagescan/scan/update") { Content = new ByteArrayContent("not a zip"u8.ToArray()) })
        {
            upload.Headers.Authorization = AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword);
            bad.Headers.Authorization = AuthClient.Basic(AuthClient.AdminUser, AuthClient.AdminPassword);
            using var uploaded = await host.Client.SendAsync(upload);
            Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
            using var refused = await host.Client.SendAsync(bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        var updates = await ReadAsync(client, 2);
        Assert.All(updates, u => AssertEnvelope(u, "SCANNER_UPDATE_COMPLETED", "vulnerability-database"));
        Assert.All(updates, u => Assert.Equal(["scanner_version", "db_version", "db_updated_at", "success", "replicas", "source", "advisories", "error"],
            Contents(u).EnumerateObject().Select(p => p.Name)));
        Assert.Equal([true, false], updates.Select(u => Contents(u).GetProperty("success").GetBoolean()));
        Assert.Equal("upload", Contents(updates[0]).GetProperty("source").GetString());
        Assert.True(Contents(updates[0]).GetProperty("advisories").GetInt32() > 0);
        Assert.NotEqual("", Contents(updates[1]).GetProperty("error").GetString());
    }

    [Fact]
    public async Task RepositoryApi_RaisesRepoEvents()
    {
        // Arrange
        var queue = NewQueueName();
        var connection = AzuriteCheck.ConnectionString + "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;";
        await using var host = await RegistryHost.StartAsync(settings: Settings(queue, connection));
        var auth = new AuthClient(host.Client);
        var client = new QueueClient(connection, queue);

        // Act
        await auth.AdminAsync(HttpMethod.Post, "/api/v0/repositories/admin", new { name = "repo-events", visibility = "public" });
        await auth.AdminAsync(HttpMethod.Patch, "/api/v0/repositories/admin/repo-events", new { shortDescription = "changed" });
        await auth.AdminAsync(HttpMethod.Delete, "/api/v0/repositories/admin/repo-events");
        var events = await ReadAsync(client, 3);

        // Assert: REPO_EVENT with the repository as the API shows it (none once deleted)
        Assert.All(events, e => AssertEnvelope(e, "REPO_EVENT", "admin/repo-events"));
        Assert.Equal(["REPO_CREATED", "REPO_UPDATED", "REPO_DELETED"], events.Select(e => Contents(e).GetProperty("event").GetString()));
        Assert.All(events, e => Assert.Equal(["namespace", "repository", "event", "author", "data"], Contents(e).EnumerateObject().Select(p => p.Name)));
        Assert.Equal("changed", Contents(events[1]).GetProperty("data").GetProperty("shortDescription").GetString());
        Assert.Equal("public", Contents(events[0]).GetProperty("data").GetProperty("visibility").GetString());
        Assert.Equal(JsonValueKind.Null, Contents(events[2]).GetProperty("data").ValueKind);
        Assert.All(events, e => Assert.Equal(AuthClient.AdminUser, Contents(e).GetProperty("author").GetString()));
    }

    [Fact]
    public async Task Outbox_PublisherDown_EventsDeliveredWhenItReturnsWithTheirIds()
    {
        // Arrange: the host's queues live on an Azurite of their own, which the test stops; blobs and tables stay up
        var queue = NewQueueName();
        await using var queues = new OwnAzurite();
        await queues.StartAsync();
        var connection = AzuriteCheck.ConnectionString + $"QueueEndpoint={queues.QueueEndpoint};";
        await using var host = await RegistryHost.StartAsync(settings: Settings(queue, connection));
        var auth = new AuthClient(host.Client);
        var oci = await auth.AdminClientAsync("repository:ev/outbox:pull,push");
        var client = new QueueClient(connection, queue);
        await oci.PushImageAsync("ev/outbox", "first");
        Assert.Equal(2, (await ReadAsync(client, 2)).Count);

        // Act: two pushes while the queue service is down (they succeed), then it comes back and one more push drains
        await queues.StopAsync();
        var during = await oci.PushImageAsync("ev/outbox", "during");
        using (var again = await oci.PutManifestAsync("ev/outbox", "during", during.Manifest))
        {
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }

        await queues.StartAsync();
        var after = await oci.PushImageAsync("ev/outbox", "after");
        string tagSubject = $"{Host}/ev/outbox:during", digestSubject = $"{Host}/ev/outbox@{during.Digest}";
        string[] afterSubjects = [$"{Host}/ev/outbox:after", $"{Host}/ev/outbox@{after.Digest}"];
        var delivered = await ReadUntilAsync(client, events =>
            events.Count(e => Subject(e) == tagSubject) >= 2 && events.Count(e => Subject(e) == digestSubject) >= 2 && afterSubjects.All(s => events.Any(e => Subject(e) == s)));

        // Assert: nothing lost; the push made twice has one id (consumers drop the second). Delivery is at least once: a
        // batch that failed half way after the outage is published again, with the same ids, so only ids are counted.
        Assert.Single(delivered.Where(e => Subject(e) == tagSubject).Select(e => e.GetProperty("id").GetString()).Distinct());
        Assert.Single(delivered.Where(e => Subject(e) == digestSubject).Select(e => e.GetProperty("id").GetString()).Distinct());
        Assert.Single(delivered.Where(e => Subject(e) == afterSubjects[0]).Select(e => e.GetProperty("id").GetString()).Distinct());
        Assert.Equal(new[] { tagSubject, digestSubject, afterSubjects[0], afterSubjects[1] }.Order(StringComparer.Ordinal), delivered.Select(Subject).Distinct().Order(StringComparer.Ordinal));
    }

    private static string? Subject(JsonElement e) => e.GetProperty("subject").GetString();

    private static string NewQueueName() => "events-" + Guid.NewGuid().ToString("N")[..12];

    private static Dictionary<string, string> Settings(string queue, string connection)
    {
        var settings = new Dictionary<string, string>(AuthClient.Settings)
        {
            ["Registry__Storage__ConnectionString"] = connection,
            ["Registry__Events__Publisher"] = "queue",
            ["Registry__Events__Queue"] = queue,
            ["Registry__Events__Pulls"] = "true",
            ["Registry__Events__RegistryHost"] = Host,
        };
        return settings;
    }

    /// <summary>Reads messages from the queue until <paramref name="count"/> arrived (or a deadline), as a consumer: base64, one CloudEvent each.</summary>
    private static async Task<List<JsonElement>> ReadAsync(QueueClient queue, int count)
    {
        var events = await ReadUntilAsync(queue, events => events.Count >= count);
        Assert.True(events.Count == count, $"expected {count} events, got {events.Count}: {string.Join("\n", events)}");
        return events;
    }

    /// <summary>Reads messages from the queue until <paramref name="done"/> holds of what arrived (or a deadline), oldest first.</summary>
    private static async Task<List<JsonElement>> ReadUntilAsync(QueueClient queue, Func<List<JsonElement>, bool> done)
    {
        var events = new List<JsonElement>();
        await Poll.UntilAsync(async () =>
        {
            if (await queue.ExistsAsync())
            {
                foreach (var message in (await queue.ReceiveMessagesAsync(32)).Value)
                {
                    events.Add(JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(message.MessageText))).RootElement.Clone());
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
            }

            return done(events);
        }, TimeSpan.FromSeconds(90));
        Assert.True(done(events), $"the events expected did not arrive; got {events.Count}: {string.Join("\n", events)}");
        return events.OrderBy(e => e.GetProperty("time").GetString(), StringComparer.Ordinal).ToList();
    }

    private static void AssertEnvelope(JsonElement e, string type, string subject)
    {
        string[] envelope = ["data", "datacontenttype", "id", "source", "specversion", "subject", "time", "type"];
        Assert.Equal(envelope, e.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(("1.0", "urn:registry", type, subject, "application/json"),
            (e.GetProperty("specversion").GetString(), e.GetProperty("source").GetString(), e.GetProperty("type").GetString(), e.GetProperty("subject").GetString(),
             e.GetProperty("datacontenttype").GetString()));
        Assert.Matches("^[0-9a-f]{32}$", e.GetProperty("id").GetString());
        var data = e.GetProperty("data");
        Assert.Equal(["type", "createdAt", "contents", "location"], data.EnumerateObject().Select(p => p.Name));
        Assert.Equal(type, data.GetProperty("type").GetString());
    }

    private static JsonElement Contents(JsonElement e) => e.GetProperty("data").GetProperty("contents");

    private static void AssertContents(JsonElement e, string[] fields, params (string Name, string Value)[] values)
    {
        var contents = Contents(e);
        Assert.Equal(fields, contents.EnumerateObject().Select(p => p.Name));
        foreach (var (name, value) in values)
        {
            Assert.Equal(value, contents.GetProperty(name).GetString());
        }
    }
}
