using System.Net.Http.Json;
using System.Text.Json;
using Registry.Tests.Support;

namespace Registry.Tests.Integration;

/// <summary>
/// The repository fields <c>pulls</c> and <c>pushes</c>: counted in memory by the instance that served (shown by it at
/// once), flushed by its timer every minute (shown by another instance then), a HEAD not counted, and a repository
/// deleted and made again starting from zero.
/// </summary>
public sealed class RepositoryCountTests
{
    [Fact]
    public async Task PullsAndPushes_CountedAtOnceHereAndWithinAMinuteElsewhere()
    {
        // Arrange: two instances on one storage
        await using var first = await RegistryHost.StartAsync();
        await using var second = await RegistryHost.StartAsync(first.StoragePrefix);
        var oci = new OciTestClient(first.Client);
        var repo = OciTestClient.NewRepository("counts");

        // Act
        await oci.PushImageAsync(repo, "v1");
        await oci.PushImageAsync(repo, "v2");
        for (var i = 0; i < 3; i++)
        {
            using (await first.Client.GetAsync($"/v2/{repo}/manifests/v1"))
            {
            }
        }

        using (await oci.HeadAsync($"/v2/{repo}/manifests/v1"))
        {
        }

        var here = await CountsAsync(first, repo);
        var elsewhere = await Poll.UntilAsync(async () => await CountsAsync(second, repo) == (3, 2), TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(1));

        // Assert
        Assert.Equal((3L, 2L), here);
        Assert.True(elsewhere, $"the other instance shows {await CountsAsync(second, repo)}");

        // a repository deleted and made again starts from zero
        using (await first.Client.DeleteAsync($"/api/v0/repositories/{repo}"))
        {
        }

        await oci.PushImageAsync(repo, "v1");
        Assert.Equal((0L, 1L), await CountsAsync(first, repo));
    }

    private static async Task<(long Pulls, long Pushes)> CountsAsync(RegistryHost host, string repo)
    {
        var view = await host.Client.GetFromJsonAsync<JsonElement>($"/api/v0/repositories/{repo}");
        return (view.GetProperty("pulls").GetInt64(), view.GetProperty("pushes").GetInt64());
    }
}
