using Azure;

namespace Registry.Storage;

/// <summary>Reading a bounded number of rows from a table query.</summary>
public static class TableQueryExtensions
{
    /// <summary>The first <paramref name="count"/> rows of <paramref name="query"/> (none for a count of zero or less).</summary>
    public static async Task<List<T>> TakeAsync<T>(this AsyncPageable<T> query, int count, CancellationToken cancellationToken = default)
        where T : notnull
    {
        var rows = new List<T>(Math.Clamp(count, 0, 1000));
        if (count <= 0)
        {
            return rows;
        }

        await foreach (var row in query.WithCancellation(cancellationToken))
        {
            rows.Add(row);
            if (rows.Count >= count)
            {
                break;
            }
        }

        return rows;
    }
}
