using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Optimization;

/// <summary>Improves a policy against a reward (PPO, best-of-n, ...).</summary>
public interface IPolicyOptimizer
{
    /// <summary>
    /// Optimises the request's policy, logging metrics every step through <paramref name="context"/> (the names of
    /// <see cref="MetricNames"/>, with <c>gold/*</c> measured on <see cref="OptimizationRequest.EvaluationPrompts"/>
    /// when a gold evaluator is given).
    /// </summary>
    /// <param name="request">What to optimise, against what.</param>
    /// <param name="context">Seeds, metrics, progress and files of the run.</param>
    /// <param name="ct">Stops at the next step, keeping the policy as it is.</param>
    /// <returns>The optimised policy and the final metrics.</returns>
    Task<OptimizationResult> OptimizeAsync(OptimizationRequest request, IRunContext context, CancellationToken ct);
}

/// <summary>What an optimiser works on.</summary>
/// <param name="Policy">The policy to improve (trained in place by gradient methods).</param>
/// <param name="Reward">The reward to maximise.</param>
/// <param name="Prompts">The prompts to train on.</param>
public sealed record OptimizationRequest(ITrainablePolicy Policy, IRewardModel Reward, IReadOnlyList<Prompt> Prompts)
{
    /// <summary>The frozen reference policy for the KL penalty; null: the optimiser snapshots <see cref="Policy"/> before its first step.</summary>
    public IPolicy? Reference { get; init; }

    /// <summary>The task's gold evaluator, for <c>gold/*</c> metrics during optimisation; null: none.</summary>
    public IGoldEvaluator? Gold { get; init; }

    /// <summary>A fixed set of prompts to measure <c>gold/*</c> on; empty: none.</summary>
    public IReadOnlyList<Prompt> EvaluationPrompts { get; init; } = [];

    /// <summary>
    /// The highest <see cref="GoldFeatures.Difficulty"/> the run's evaluator can check, passed to
    /// <c>TaskMetrics.MeasureResponses</c> (Framework.Evaluation) so <c>gold/accuracy_uncheckable</c> shows reward hacking;
    /// +infinity (the default): everything is checkable.
    /// </summary>
    public double VerificationLimit { get; init; } = double.PositiveInfinity;
}

/// <summary>What an optimiser produced.</summary>
/// <param name="Policy">The optimised policy: the trained request policy itself, or a new one (best-of-n wraps it).</param>
/// <param name="Metrics">The final values of the logged metrics.</param>
public sealed record OptimizationResult(IPolicy Policy, IReadOnlyDictionary<string, double> Metrics);
