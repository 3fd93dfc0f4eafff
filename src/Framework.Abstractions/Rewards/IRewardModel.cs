using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Rewards;

/// <summary>Scores responses: higher is better. Learned, rule-based, gold and composite rewards all implement it.</summary>
public interface IRewardModel
{
    /// <summary>Scores each response given its prompt.</summary>
    /// <param name="responses">The responses, with their prompts.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>One score per response, in order.</returns>
    Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct);
}

/// <summary>A reward model with several named objectives (helpfulness, harmlessness, length, ...), combined into one score by <see cref="IRewardModel.ScoreAsync"/>.</summary>
public interface IMultiObjectiveRewardModel : IRewardModel
{
    /// <summary>The objectives' names, in a fixed order.</summary>
    IReadOnlyList<string> Objectives { get; }

    /// <summary>Scores each response on every objective.</summary>
    /// <param name="responses">The responses, with their prompts.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>For each objective name, one score per response, in order.</returns>
    Task<IReadOnlyDictionary<string, double[]>> ScoreObjectivesAsync(IReadOnlyList<Response> responses, CancellationToken ct);
}

/// <summary>
/// A multi-objective reward that maximises one objective subject to constraints on others
/// (E[objective] ≤ threshold), as a Lagrangian whose multipliers the optimiser updates by dual ascent.
/// </summary>
public interface IConstrainedRewardModel : IMultiObjectiveRewardModel
{
    /// <summary>The constraints; their <see cref="RewardConstraint.Multiplier"/> values enter <see cref="IRewardModel.ScoreAsync"/>.</summary>
    IReadOnlyList<RewardConstraint> Constraints { get; }
}

/// <summary>One constraint of an <see cref="IConstrainedRewardModel"/>: the expectation of <see cref="Objective"/> must stay at or under <see cref="Threshold"/>.</summary>
/// <param name="objective">The constrained objective's name.</param>
/// <param name="threshold">The bound on its expectation.</param>
/// <param name="multiplier">The initial Lagrange multiplier (non-negative).</param>
public sealed class RewardConstraint(string objective, double threshold, double multiplier = 0)
{
    /// <summary>The constrained objective's name.</summary>
    public string Objective { get; } = objective;

    /// <summary>The bound on the objective's expectation.</summary>
    public double Threshold { get; } = threshold;

    /// <summary>The Lagrange multiplier; optimisers update it (and keep it non-negative).</summary>
    public double Multiplier { get; set; } = multiplier;

    /// <summary>
    /// One step of projected dual ascent, the update every optimiser applies after scoring a batch:
    /// <c>λ ← max(0, λ + η·(mean C − threshold))</c>. The multiplier rises while the constraint is violated and
    /// falls (never below 0) while it holds.
    /// </summary>
    /// <param name="meanValue">The constrained objective's mean over the batch (mean C).</param>
    /// <param name="learningRate">The dual step size η (non-negative).</param>
    /// <returns>The new <see cref="Multiplier"/>.</returns>
    public double UpdateMultiplier(double meanValue, double learningRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(learningRate);
        Multiplier = Math.Max(0, Multiplier + (learningRate * (meanValue - Threshold)));
        return Multiplier;
    }
}

/// <summary>A reward model whose scores come with an uncertainty (an ensemble), for conservative optimisation and active queries.</summary>
public interface IUncertainRewardModel : IRewardModel
{
    /// <summary>Scores each response with the spread of the estimate.</summary>
    /// <param name="responses">The responses, with their prompts.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>One estimate per response, in order.</returns>
    Task<IReadOnlyList<RewardEstimate>> ScoreWithUncertaintyAsync(IReadOnlyList<Response> responses, CancellationToken ct);
}

/// <summary>A reward with its uncertainty.</summary>
/// <param name="Mean">The central estimate.</param>
/// <param name="StdDev">Its standard deviation (across ensemble members, for example).</param>
public readonly record struct RewardEstimate(double Mean, double StdDev);

/// <summary>A reward model that learns from feedback records.</summary>
public interface ITrainableRewardModel : IRewardModel
{
    /// <summary>
    /// Trains on <paramref name="data"/>, logging metrics (<see cref="MetricNames.RewardModel.Loss"/>, ...) and
    /// progress through <paramref name="context"/>.
    /// </summary>
    /// <param name="data">The feedback to learn from.</param>
    /// <param name="context">Seeds, metrics, progress and files of the run.</param>
    /// <param name="ct">Stops at the next step.</param>
    /// <returns>The final training and validation metrics.</returns>
    Task<EvaluationResults> TrainAsync(FeedbackDataset data, IRunContext context, CancellationToken ct);
}
