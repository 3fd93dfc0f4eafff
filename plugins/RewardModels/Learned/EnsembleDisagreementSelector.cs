using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels;

/// <summary>Options of <c>ensemble-disagreement</c>.</summary>
public sealed class EnsembleDisagreementOptions
{
    /// <summary>The artifact key of the trained ensemble (the <c>name</c> of its <c>train-reward-model</c> stage).</summary>
    [Required, MinLength(1)]
    public string Key { get; set; } = TrainRewardModelStage.DefaultName;
}

/// <summary>
/// <c>ensemble-disagreement</c>: active query selection (Christiano et al. 2017): ranks pairwise queries by the
/// variance over the ensemble's members of the predicted preference σ(r₁ − r₂), and other queries by the variance
/// of the members' rewards for their response, and keeps the most disputed.
/// </summary>
/// <param name="options">Which ensemble.</param>
/// <param name="artifacts">The run's artifacts, where an earlier train-reward-model stage left the ensemble.</param>
public sealed class EnsembleDisagreementSelector(EnsembleDisagreementOptions options, IArtifactBag artifacts) : IQuerySelector
{
    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No ensemble is stored under the key.</exception>
    public Task<IReadOnlyList<FeedbackQuery>> SelectAsync(IReadOnlyList<FeedbackQuery> candidates, int count, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        double[] disagreement = Disagreement(candidates, ct);
        return Task.FromResult<IReadOnlyList<FeedbackQuery>>([.. Enumerable.Range(0, candidates.Count)
            .OrderByDescending(i => disagreement[i]).ThenBy(i => i)
            .Take(Math.Max(0, count))
            .Select(i => candidates[i])]);
    }

    /// <summary>Each candidate's disagreement: the members' variance of σ(r₁ − r₂) for a pair, of the reward for a single response.</summary>
    /// <param name="candidates">The queries.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>One value per query, in order.</returns>
    public double[] Disagreement(IReadOnlyList<FeedbackQuery> candidates, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(artifacts);
        EnsembleRewardModel ensemble = artifacts.TryGet<EnsembleRewardModel>(options.Key) ?? throw new InvalidOperationException(
            $"ensemble-disagreement needs a trained ensemble under the key '{options.Key}': run a 'train-reward-model' stage with model 'ensemble' and name '{options.Key}' first (for example on a first round of randomly chosen labels).");
        var responses = new List<Response>();
        var slots = new List<(int First, int Second)>();
        foreach (FeedbackQuery query in candidates)
        {
            Response first = query switch
            {
                PairwiseQuery pair => pair.First,
                RatingQuery rating => rating.Response,
                CritiqueQuery critique => critique.Response,
                CorrectionQuery correction => correction.Response,
                _ => throw new ArgumentException($"Unknown query type {query.GetType().Name}.", nameof(candidates)),
            };
            responses.Add(first);
            int second = -1;
            if (query is PairwiseQuery p)
            {
                responses.Add(p.Second);
                second = responses.Count - 1;
            }
            slots.Add((responses.Count - (second < 0 ? 1 : 2), second));
        }
        double[][] scores = ensemble.MemberScores(responses, ct);
        return [.. slots.Select(s => Variance(scores.Select(m => s.Second < 0 ? m[s.First] : BradleyTerryLoss.Sigmoid(m[s.First] - m[s.Second]))))];
    }

    private static double Variance(IEnumerable<double> values)
    {
        double[] v = [.. values];
        double mean = v.Average();
        return v.Sum(x => (x - mean) * (x - mean)) / v.Length;
    }
}
