using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;

namespace AlignFx.Ppo;

/// <summary>Options of the <c>optimize</c> stage.</summary>
public sealed class OptimizeOptions
{
    /// <summary>The optimiser (<c>ppo</c>, <c>best-of-n</c>, ...).</summary>
    [ComponentKind(ComponentKinds.Optimizer)]
    public ComponentRef Optimizer { get; set; } = new() { Name = "ppo" };

    /// <summary>The reward to maximise; by default the reward model an earlier <c>train-reward-model</c> stage left.</summary>
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef Reward { get; set; } = new() { Name = "trained" };

    /// <summary>The task split whose prompts the optimiser trains on.</summary>
    [Required, MinLength(1)]
    public string Split { get; set; } = TaskSplits.Train;

    /// <summary>The task split the fixed evaluation prompts come from.</summary>
    [Required, MinLength(1)]
    public string EvaluationSplit { get; set; } = TaskSplits.Validation;

    /// <summary>How many evaluation prompts (the first of the split) the optimiser measures gold, proxy and KL on; 0: none.</summary>
    [Range(0, 1_000_000)]
    public int EvaluationPrompts { get; set; } = 200;

    /// <summary>
    /// The highest difficulty the run's evaluator can check (as the feedback source's <c>verificationLimit</c>), so
    /// <c>gold/accuracy_uncheckable</c> shows what the reward could not see; default 1e6 (everything checkable: JSON has no infinity).
    /// </summary>
    [Range(0.0, 1e6)]
    public double VerificationLimit { get; set; } = 1e6;
}

/// <summary>
/// <c>optimize</c>: improves the pipeline's trainable policy against a reward with an optimiser. Stores a frozen
/// snapshot of the starting policy as the <see cref="ArtifactKeys.BasePolicy"/> artifact (unless one is
/// there) and uses it as the KL reference, replaces the pipeline's policy with the optimiser's result, and leaves the
/// final metrics as <see cref="EvaluationResults"/> under <see cref="PpoArtifacts.OptimizeResults"/>.
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class OptimizeStage(OptimizeOptions options) : IStage
{
    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Policy is not ITrainablePolicy policy)
        {
            throw new InvalidOperationException(
                $"optimize needs a trainable policy (such as gpt), not {context.Policy.GetType().Name}; best-of-n results cannot be optimised further.");
        }
        IPolicy reference = context.Artifacts.TryGet(ArtifactKeys.BasePolicy) ?? policy.Snapshot();
        if (context.Artifacts.TryGet(ArtifactKeys.BasePolicy) is null)
        {
            context.Artifacts.Set(ArtifactKeys.BasePolicy, reference);
        }
        var reward = context.Components.Create<IRewardModel>(options.Reward);
        var optimizer = context.Components.Create<IPolicyOptimizer>(options.Optimizer);
        IReadOnlyList<Prompt> prompts = context.Task.GetPrompts(options.Split);
        IReadOnlyList<Prompt> evaluation = options.EvaluationPrompts == 0 ? [] : [.. context.Task.GetPrompts(options.EvaluationSplit).Take(options.EvaluationPrompts)];
        var request = new OptimizationRequest(policy, reward, prompts)
        {
            Reference = reference,
            Gold = context.Task.Gold,
            EvaluationPrompts = evaluation,
            VerificationLimit = options.VerificationLimit,
        };
        OptimizationResult result = await optimizer.OptimizeAsync(request, context, ct).ConfigureAwait(false);
        context.Policy = result.Policy;
        context.Artifacts.Set(PpoArtifacts.OptimizeResults, new EvaluationResults(PpoArtifacts.OptimizeResults.Name, result.Metrics));
        context.Logger.LogInformation("optimize ({Optimizer}): {Metrics}", options.Optimizer.Name,
            string.Join(", ", result.Metrics.Where(m => m.Key is MetricNames.Objective.Kl or MetricNames.Proxy.RewardMean or MetricNames.Gold.Accuracy)
                .Select(m => $"{m.Key} {m.Value:F3}")));
    }
}
