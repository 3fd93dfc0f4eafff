namespace AlignFx.Abstractions.Runs;

/// <summary>
/// Results stages pass to each other, by type and an optional key: a policy snapshot
/// (<c>Set&lt;IPolicy&gt;(snapshot, "reference")</c>), a <c>FeedbackDataset</c>, a reward model,
/// <see cref="EvaluationResults"/>.
/// </summary>
public interface IArtifactBag
{
    /// <summary>Stores <paramref name="value"/> under type <typeparamref name="T"/> and <paramref name="key"/>, replacing what was there.</summary>
    /// <typeparam name="T">The type later stages ask for, usually a contract interface.</typeparam>
    /// <param name="value">The result.</param>
    /// <param name="key">Distinguishes several results of one type (null: the default one).</param>
    void Set<T>(T value, string? key = null) where T : class;

    /// <summary>
    /// The result stored under <typeparamref name="T"/> and <paramref name="key"/>; failing that, the only result
    /// with that key whose type is assignable to <typeparamref name="T"/>; otherwise null.
    /// </summary>
    /// <typeparam name="T">The type asked for.</typeparam>
    /// <param name="key">The key it was stored with (null: the default one).</param>
    /// <returns>The result, or null.</returns>
    /// <exception cref="InvalidOperationException">Several results match and none was stored under exactly <typeparamref name="T"/>.</exception>
    T? TryGet<T>(string? key = null) where T : class;

    /// <summary>Like <see cref="TryGet{T}"/>, but a missing result is an error naming what the bag holds.</summary>
    /// <typeparam name="T">The type asked for.</typeparam>
    /// <param name="key">The key it was stored with (null: the default one).</param>
    /// <returns>The result.</returns>
    /// <exception cref="InvalidOperationException">No result matches.</exception>
    T Get<T>(string? key = null) where T : class;
}

/// <summary>The standard <see cref="IArtifactBag"/>: an in-memory map, not thread-safe (stages run one at a time).</summary>
public sealed class ArtifactBag : IArtifactBag
{
    private readonly Dictionary<(Type Type, string Key), object> _items = [];

    /// <summary>What the bag holds, as <c>(type, key)</c> pairs in no particular order (key "" is the default).</summary>
    public IEnumerable<(Type Type, string Key)> Entries => _items.Keys;

    /// <inheritdoc />
    public void Set<T>(T value, string? key = null) where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        _items[(typeof(T), key ?? "")] = value;
    }

    /// <inheritdoc />
    public T? TryGet<T>(string? key = null) where T : class
    {
        string k = key ?? "";
        if (_items.TryGetValue((typeof(T), k), out object? exact))
        {
            return (T)exact;
        }
        var matches = _items.Where(e => e.Key.Key == k && e.Value is T).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => (T)matches[0].Value,
            _ => throw new InvalidOperationException(
                $"Several results match {Describe(typeof(T), k)}: {string.Join(", ", matches.Select(m => Describe(m.Key.Type, k)))}; ask for one of these types."),
        };
    }

    /// <inheritdoc />
    public T Get<T>(string? key = null) where T : class
    {
        T? found = TryGet<T>(key);
        if (found is not null)
        {
            return found;
        }
        string held = _items.Count == 0 ? "nothing" : string.Join(", ", _items.Keys.Select(e => Describe(e.Type, e.Key)).Order(StringComparer.Ordinal));
        throw new InvalidOperationException(
            $"No result {Describe(typeof(T), key ?? "")} is available (an earlier stage must produce it); the pipeline holds {held}.");
    }

    private static string Describe(Type type, string key) => key.Length == 0 ? type.Name : $"{type.Name} '{key}'";
}

/// <summary>Named metric values measured on one subject (a policy, a reward model), passed between stages and reported.</summary>
/// <param name="Subject">What was evaluated, for example <c>"base-policy"</c> or <c>"reward-model"</c>.</param>
/// <param name="Metrics">Metric name to value, names as in <see cref="MetricNames"/> where one fits.</param>
public sealed record EvaluationResults(string Subject, IReadOnlyDictionary<string, double> Metrics);
