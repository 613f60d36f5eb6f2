using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Registry.Options;

namespace Registry.Auth;

/// <summary>
/// Failed logins per account and per client address: after MaxFailedLogins (per account) or
/// MaxFailedLoginsPerAddress within FailureWindow, further logins of that account or from that address are refused
/// until the window has passed. Kept per instance; a Function
/// App scales out to few instances per client, so an attacker gains at most a small factor.
/// </summary>
public sealed class LoginThrottle(IOptions<AuthOptions> options, TimeProvider time)
{
    private const int MaxTracked = 100_000;
    private readonly AuthOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>True when the account or the address has too many recent failures.</summary>
    public bool IsLocked(string account, string address) =>
        Count("u:" + account) >= _options.MaxFailedLogins || Count("a:" + address) >= _options.MaxFailedLoginsPerAddress;

    public void RecordFailure(string account, string address)
    {
        if (_failures.Count >= MaxTracked)
        {
            Prune();
        }

        foreach (var key in new[] { "u:" + account, "a:" + address })
        {
            var failures = _failures.GetOrAdd(key, _ => new Failures());
            lock (failures)
            {
                failures.Times.Enqueue(time.GetUtcNow());
                Trim(failures);
            }
        }
    }

    /// <summary>A successful login clears the account's failures (not the address's).</summary>
    public void RecordSuccess(string account) => _failures.TryRemove("u:" + account, out _);

    private int Count(string key)
    {
        if (!_failures.TryGetValue(key, out var failures))
        {
            return 0;
        }

        lock (failures)
        {
            Trim(failures);
            return failures.Times.Count;
        }
    }

    private void Trim(Failures failures)
    {
        var oldest = time.GetUtcNow() - _options.FailureWindow;
        while (failures.Times.Count > 0 && failures.Times.Peek() < oldest)
        {
            failures.Times.Dequeue();
        }
    }

    private void Prune()
    {
        foreach (var (key, failures) in _failures)
        {
            lock (failures)
            {
                Trim(failures);
                if (failures.Times.Count == 0)
                {
                    _failures.TryRemove(key, out _);
                }
            }
        }
    }

    private sealed class Failures
    {
        public Queue<DateTimeOffset> Times { get; } = new();
    }
}
