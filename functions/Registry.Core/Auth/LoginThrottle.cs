using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Registry.Options;

namespace Registry.Auth;

/// <summary>
/// Failed logins per client address and per account and address, never per account alone: a stranger's failures must
/// not lock the account's owner out. From one address, MaxFailedLoginsPerAddress failures within FailureWindow
/// refuse its logins until they age out. For one account from one address, MaxFailedLogins failures are free; each
/// further one waits twice as long as the one before (1 s, 2 s, 4 s …, at most FailureWindow) after the last
/// failure. A success clears the pair. Kept per instance; a Function App scales out to few instances per client, so
/// an attacker gains at most a small factor.
/// </summary>
public sealed class LoginThrottle(IOptions<AuthOptions> options, TimeProvider time)
{
    private const int MaxTracked = 100_000;
    private readonly AuthOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>True when the address has too many recent failures, or the account from this address must still wait.</summary>
    public bool IsLocked(string account, string address)
    {
        if (Recent(AddressKey(address)).Count >= _options.MaxFailedLoginsPerAddress)
        {
            return true;
        }

        var pair = Recent(PairKey(account, address));
        var beyond = pair.Count - _options.MaxFailedLogins;
        if (beyond < 0)
        {
            return false;
        }

        var wait = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, beyond), _options.FailureWindow.TotalSeconds));
        return time.GetUtcNow() < pair.Last + wait;
    }

    public void RecordFailure(string account, string address)
    {
        if (_failures.Count >= MaxTracked)
        {
            Prune();
        }

        foreach (var key in new[] { AddressKey(address), PairKey(account, address) })
        {
            var failures = _failures.GetOrAdd(key, _ => new Failures());
            lock (failures)
            {
                failures.Times.Enqueue(time.GetUtcNow());
                Trim(failures);
            }
        }
    }

    /// <summary>A successful login clears the failures of the account from that address (not the address's).</summary>
    public void RecordSuccess(string account, string address) => _failures.TryRemove(PairKey(account, address), out _);

    private static string AddressKey(string address) => "a:" + address;

    private static string PairKey(string account, string address) => $"p:{address}\n{account}";

    /// <summary>How many failures of <paramref name="key"/> are within the window, and when the last was.</summary>
    private (int Count, DateTimeOffset Last) Recent(string key)
    {
        if (!_failures.TryGetValue(key, out var failures))
        {
            return (0, default);
        }

        lock (failures)
        {
            Trim(failures);
            return (failures.Times.Count, failures.Times.LastOrDefault());
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
