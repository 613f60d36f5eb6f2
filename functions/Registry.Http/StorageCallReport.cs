using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Stores;

namespace Registry.Http;

/// <summary>
/// Counts the storage requests of each API request (<see cref="StorageCallCount"/>) and, with
/// <c>Registry:CountStorageCalls</c>, answers them in the <c>X-Registry-Storage-Calls</c> header (for tests, cost
/// estimates and operators; off by default); and counts the request itself (<see cref="RequestMeter"/>).
/// </summary>
public sealed class StorageCallReport(IOptions<RegistryOptions> options, RequestMeter meter)
{
    public const string Header = "X-Registry-Storage-Calls";

    private readonly bool _enabled = options.Value.CountStorageCalls;

    /// <summary>Serves one API request with a count of its own.</summary>
    public async Task<IActionResult> ServeAsync(Func<Task<IActionResult>> serve)
    {
        var count = StorageCallCount.Begin();
        var result = await meter.MeasureAsync(serve);
        if (_enabled && result is HttpResult answer)
        {
            answer.WithHeader(Header, count.ToString());
        }

        return result;
    }
}
