using System.Collections.Concurrent;
using Registry.Oci;
using Registry.Stores;

namespace Registry.Services;

/// <summary>
/// The <c>pulls</c> and <c>pushes</c> of repositories, counted in memory by each instance (no storage write on the
/// pull path) and added to the stored counts by a timer every minute (<see cref="FlushSchedule"/>). An instance answers
/// with the stored counts plus what it has not flushed yet: its own pulls and pushes show at once, other instances'
/// within a minute. Counts of an instance that stops before its flush are lost; they are figures, not a ledger.
/// </summary>
public sealed class RepositoryCounters(IRepositoryCountStore store)
{
    /// <summary>Every minute, at the half minute (events drain at the minute).</summary>
    public const string FlushSchedule = "30 * * * * *";

    private readonly ConcurrentDictionary<string, long[]> _pending = new(StringComparer.Ordinal);

    public void CountPull(RepositoryName name) => Interlocked.Increment(ref Slot(name)[0]);

    public void CountPush(RepositoryName name) => Interlocked.Increment(ref Slot(name)[1]);

    /// <summary>The counts of repositories: stored, plus this instance's unflushed ones.</summary>
    public async Task<IReadOnlyDictionary<string, RepositoryCounts>> GetAsync(IReadOnlyList<RepositoryName> names, CancellationToken cancellationToken = default)
    {
        var stored = await store.GetAsync(names, cancellationToken);
        var counts = new Dictionary<string, RepositoryCounts>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var (pulls, pushes) = stored.TryGetValue(name.Value, out var s) ? (s.Pulls, s.Pushes) : (0L, 0L);
            if (_pending.TryGetValue(name.Value, out var slot))
            {
                (pulls, pushes) = (pulls + Interlocked.Read(ref slot[0]), pushes + Interlocked.Read(ref slot[1]));
            }

            counts[name.Value] = new RepositoryCounts(pulls, pushes);
        }

        return counts;
    }

    /// <summary>Adds this instance's counts to the stored ones; what fails to be written is kept for the next flush.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken = default)
    {
        var flushed = 0;
        foreach (var (name, slot) in _pending)
        {
            var pulls = Interlocked.Exchange(ref slot[0], 0);
            var pushes = Interlocked.Exchange(ref slot[1], 0);
            if (pulls == 0 && pushes == 0 || !RepositoryName.TryParse(name, out var repository))
            {
                continue;
            }

            try
            {
                await store.AddAsync(repository, pulls, pushes, cancellationToken);
                flushed++;
            }
            catch
            {
                Interlocked.Add(ref slot[0], pulls);
                Interlocked.Add(ref slot[1], pushes);
                throw;
            }
        }

        return flushed;
    }

    /// <summary>Forgets a deleted repository's counts (a repository made again under its name starts at zero).</summary>
    public async Task DeleteAsync(RepositoryName name, CancellationToken cancellationToken = default)
    {
        _pending.TryRemove(name.Value, out _);
        await store.DeleteAsync(name, cancellationToken);
    }

    private long[] Slot(RepositoryName name) => _pending.GetOrAdd(name.Value, _ => new long[2]);
}
