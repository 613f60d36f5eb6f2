using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Registry.Oci;
using Registry.Services;

namespace Registry.Tests.Unit;

/// <summary>The after-push steps: in order, isolated from each other's failures, and run on the pushes they make.</summary>
public sealed class PushPipelineTests
{
    private static readonly ParsedManifest Manifest = ManifestParser.Parse(Encoding.UTF8.GetBytes(
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\"," +
        "\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},\"layers\":[]}"), MediaTypes.ImageManifest);

    [Fact]
    public async Task RunSteps_AStepThrows_TheOthersStillRunInOrder()
    {
        // Arrange
        var ran = new List<string>();
        var pipeline = Pipeline(new Step("first", ran, _ => throw new InvalidOperationException("broken")), new Step("second", ran, _ => []));

        // Act
        await pipeline.RunStepsAsync([Push("a/b", 0)]);

        // Assert
        Assert.Equal(["first a/b", "second a/b"], ran);
    }

    [Fact]
    public async Task RunSteps_AStepMakesPushes_EveryStepRunsOnThemAfterwards()
    {
        // Arrange: the first step "promotes" a/b to c/d once
        var ran = new List<string>();
        var pipeline = Pipeline(
            new Step("promote", ran, p => p.Repository.Value == "a/b" ? [Push("c/d", p.Chain + 1)] : []),
            new Step("scan", ran, _ => []));

        // Act
        await pipeline.RunStepsAsync([Push("a/b", 0)]);

        // Assert
        Assert.Equal(["promote a/b", "scan a/b", "promote c/d", "scan c/d"], ran);
    }

    private static PushPipeline Pipeline(params IAfterPushStep[] steps) => new(null!, steps, NullLogger<PushPipeline>.Instance);

    private static ManifestPush Push(string repository, int chain) =>
        new(RepositoryName.TryParse(repository, out var name) ? name : throw new ArgumentException(repository), null, Manifest, [], chain);

    private sealed class Step(string name, List<string> ran, Func<ManifestPush, IReadOnlyList<ManifestPush>> run) : IAfterPushStep
    {
        public string Name => name;

        public Task<IReadOnlyList<ManifestPush>> RunAsync(ManifestPush push, CancellationToken cancellationToken)
        {
            ran.Add($"{name} {push.Repository}");
            return Task.FromResult(run(push));
        }
    }
}
