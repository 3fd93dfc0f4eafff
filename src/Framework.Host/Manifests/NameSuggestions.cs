namespace AlignFx.Host.Manifests;

/// <summary>Orders candidate names by how close they are to a misspelt one.</summary>
public static class NameSuggestions
{
    /// <summary>
    /// The candidates, closest to <paramref name="name"/> first: by edit distance (insertions, deletions,
    /// substitutions and swaps of adjacent letters, ignoring case), then alphabetically.
    /// </summary>
    public static IReadOnlyList<string> ClosestFirst(string name, IEnumerable<string> candidates) =>
        [.. candidates.Distinct(StringComparer.Ordinal)
            .Select(c => (Name: c, Distance: EditDistance(name, c)))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name)];

    /// <summary>The single candidate close enough to be what was meant (at most a third of the letters off), or null.</summary>
    public static string? DidYouMean(string name, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (Name: c, Distance: EditDistance(name, c)))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(1, Math.Max(name.Length, best.Name.Length) / 3)
            ? best.Name
            : null;
    }

    /// <summary>Optimal-string-alignment distance between two names, case-insensitive.</summary>
    public static int EditDistance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }

        return d[a.Length, b.Length];
    }
}
