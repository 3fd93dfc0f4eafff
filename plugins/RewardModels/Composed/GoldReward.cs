using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels.Composed;

/// <summary>Options of <c>gold</c>.</summary>
public sealed class GoldRewardOptions
{
    /// <summary>
    /// A gold feature to score instead of the gold score (one of <see cref="GoldFeatures"/>, for example
    /// <c>agrees_with_hint</c> as the cost of a constrained reward); null: the gold score.
    /// </summary>
    [MinLength(1)]
    public string? Feature { get; set; }
}

/// <summary>
/// <c>gold</c>: the task's gold evaluator as a reward (the oracle: an upper bound, and the truth that proxy rewards
/// are measured against). Optionally one labelled feature instead of the score. Refuses a task without a gold evaluator.
/// </summary>
[SeesGoldTruth("The gold reward is the truth itself: the oracle arm and the measure proxies are held against.")]
public sealed class GoldReward : IRewardModel
{
    private readonly IGoldEvaluator _gold;
    private readonly string? _feature;

    /// <summary>Takes the run's task's gold evaluator.</summary>
    /// <param name="options">Which value to score.</param>
    /// <param name="task">The run's task.</param>
    /// <exception cref="InvalidOperationException">The task has no gold evaluator.</exception>
    public GoldReward(GoldRewardOptions options, ITask task)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(task);
        _gold = task.Gold ?? throw new InvalidOperationException(
            $"The gold reward needs a task with a gold evaluator, and the task {task.GetType().Name} has none; use a learned or rule reward instead.");
        _feature = options.Feature;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The evaluator does not label the requested feature.</exception>
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(responses);
        var scores = new double[responses.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            GoldEvaluation evaluation = _gold.Evaluate(responses[i]);
            scores[i] = _feature is null ? evaluation.Score
                : evaluation.Features.TryGetValue(_feature, out double value) ? value
                : throw new InvalidOperationException(
                    $"The task's gold evaluator does not label '{_feature}'; it labels {string.Join(", ", evaluation.Features.Keys)}.");
        }
        return Task.FromResult<IReadOnlyList<double>>(scores);
    }
}
