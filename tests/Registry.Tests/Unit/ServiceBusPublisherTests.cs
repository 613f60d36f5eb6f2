using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Registry.Events;
using Registry.Storage;

namespace Registry.Tests.Unit;

/// <summary>
/// The Service Bus publisher over the SDK's test seams (no Service Bus emulator runs here): ServiceBusClient and
/// ServiceBusSender made for tests through their protected constructors, as the SDK documents for mocking.
/// </summary>
public sealed class ServiceBusPublisherTests
{
    [Fact]
    public async Task PublishAsync_Events_OneCloudEventMessageEachWithTheEventIdAsMessageId()
    {
        // Arrange
        var sender = new RecordingSender();
        var publisher = new ServiceBusEventPublisher(new TestClient(sender), "registry-events");
        var first = RegistryEvent.Create(EventTypes.TagPush, DateTimeOffset.UnixEpoch, "r/a:v1", new JsonObject { ["tag"] = "v1" }, "r/a:v1", "v1");
        var second = RegistryEvent.Create(EventTypes.TagDelete, DateTimeOffset.UnixEpoch, "r/a:v1", new JsonObject { ["tag"] = "v1" }, "r/a:v1", "v1");

        // Act
        await publisher.PublishAsync([first, second]);

        // Assert
        Assert.Equal("registry-events", sender.Topic);
        Assert.Equal([first.Id, second.Id], sender.Sent.Select(m => m.MessageId));
        Assert.All(sender.Sent, m => Assert.Equal("application/cloudevents+json", m.ContentType));
        Assert.Equal([EventTypes.TagPush, EventTypes.TagDelete], sender.Sent.Select(m => m.Subject));
        using var body = JsonDocument.Parse(sender.Sent[0].Body.ToArray());
        Assert.Equal(("1.0", first.Id, "TAG_PUSH", "v1"), (body.RootElement.GetProperty("specversion").GetString(), body.RootElement.GetProperty("id").GetString(),
            body.RootElement.GetProperty("type").GetString(), body.RootElement.GetProperty("data").GetProperty("contents").GetProperty("tag").GetString()));
    }

    [Fact]
    public async Task PublishAsync_BusDown_Throws()
    {
        // Arrange: the sender fails as the SDK does when the namespace cannot be reached
        var sender = new RecordingSender { Failure = new ServiceBusException("the namespace is not reachable", ServiceBusFailureReason.ServiceCommunicationProblem) };
        var publisher = new ServiceBusEventPublisher(new TestClient(sender), "registry-events");
        var registryEvent = RegistryEvent.Create(EventTypes.TagPush, DateTimeOffset.UnixEpoch, "r/a:v1", [], "r/a:v1", "v1");

        // Act and assert: the failure reaches the drain, which keeps the events in the outbox
        await Assert.ThrowsAsync<ServiceBusException>(() => publisher.PublishAsync([registryEvent]));
    }

    [Fact]
    public void Create_SameChange_SameId()
    {
        // Act
        var once = RegistryEvent.Create(EventTypes.TagPush, DateTimeOffset.UnixEpoch, "r/a:v1", [], "r/a:v1", "v1\nsha256:1");
        var again = RegistryEvent.Create(EventTypes.TagPush, DateTimeOffset.UtcNow, "r/a:v1", [], "r/a:v1", "v1\nsha256:1");
        var other = RegistryEvent.Create(EventTypes.TagPush, DateTimeOffset.UnixEpoch, "r/a:v1", [], "r/a:v1", "v1\nsha256:2");

        // Assert
        Assert.Equal(once.Id, again.Id);
        Assert.NotEqual(once.Id, other.Id);
    }

    private sealed class RecordingSender : ServiceBusSender
    {
        public List<ServiceBusMessage> Sent { get; } = [];

        public string? Topic { get; set; }

        public Exception? Failure { get; init; }

        public override Task SendMessagesAsync(IEnumerable<ServiceBusMessage> messages, CancellationToken cancellationToken = default)
        {
            if (Failure is not null)
            {
                throw Failure;
            }

            Sent.AddRange(messages);
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class TestClient(RecordingSender sender) : ServiceBusClient
    {
        public override ServiceBusSender CreateSender(string queueOrTopicName)
        {
            sender.Topic = queueOrTopicName;
            return sender;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
