using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels.Composed;

/// <summary>
/// The nested rewards of a composite reward, scored once per batch: each nested reward sees the whole batch in one
/// call, and the values of the last batch are kept, so an optimiser that asks for the combined score and then for
/// every objective's value (to log them) does not score the batch twice.
/// </summary>
internal sealed class ObjectiveScorer
{
    private readonly string[] _names;
    private readonly IRewardModel[] _rewards;
    private readonly Lock _gate = new();
    private Response[]? _lastBatch;
    private double[][]? _lastValues;

    public ObjectiveScorer(IEnumerable<(string Name, ComponentRef Reward)> objectives, IComponentFactory components)
    {
        ArgumentNullException.ThrowIfNull(components);
        var list = objectives.ToList();
        _names = [.. list.Select(o => o.Name)];
        _rewards = [.. list.Select(o => components.Create<IRewardModel>(o.Reward))];
    }

    public IReadOnlyList<string> Names => _names;

    /// <summary>Each objective's values on the batch: <c>[objective][response]</c>.</summary>
    public async Task<double[][]> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(responses);
        lock (_gate)
        {
            if (_lastBatch is { } last && _lastValues is { } cached && SameBatch(last, responses))
            {
                return cached;
            }
        }
        var values = new double[_rewards.Length][];
        for (int i = 0; i < _rewards.Length; i++)
        {
            IReadOnlyList<double> scores = await _rewards[i].ScoreAsync(responses, ct).ConfigureAwait(false);
            if (scores.Count != responses.Count)
            {
                throw new InvalidOperationException($"The reward of objective '{_names[i]}' gave {scores.Count} scores for {responses.Count} responses.");
            }
            values[i] = [.. scores];
        }
        lock (_gate)
        {
            _lastBatch = [.. responses];
            _lastValues = values;
        }
        return values;
    }

    /// <summary>Every objective's values by name (copies, which callers may keep).</summary>
    public async Task<IReadOnlyDictionary<string, double[]>> ScoreByNameAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        double[][] values = await ScoreAsync(responses, ct).ConfigureAwait(false);
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (int i = 0; i < _names.Length; i++)
        {
            result[_names[i]] = (double[])values[i].Clone();
        }
        return result;
    }

    // The same response objects in the same order: a batch the caller scores again, not merely equal texts.
    private static bool SameBatch(Response[] last, IReadOnlyList<Response> responses)
    {
        if (last.Length != responses.Count)
        {
            return false;
        }
        for (int i = 0; i < last.Length; i++)
        {
            if (!ReferenceEquals(last[i], responses[i]))
            {
                return false;
            }
        }
        return true;
    }
}
