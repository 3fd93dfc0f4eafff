using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Evaluation;
using Microsoft.Extensions.Logging;

namespace AlignFx.Debate;

/// <summary>Options of <c>label-agreement</c>.</summary>
public sealed class LabelAgreementOptions
{
    /// <summary>The verification limit that splits the labels into checkable and uncheckable prompts (the judge's).</summary>
    [Range(0.0, 100.0)]
    public double VerificationLimit { get; set; } = 3;
}

/// <summary>
/// <c>label-agreement</c>: measures the pipeline's pairwise labels (the <see cref="FeedbackDataset"/> collect-feedback
/// left) against the gold preference, overall and split by whether the prompt's difficulty
/// (<see cref="GoldFeatures.Difficulty"/>) is within a verification limit: where oversight methods should help is on
/// the prompts beyond it. Logs <see cref="LabelMetrics"/> and leaves them as <see cref="EvaluationResults"/> under the
/// key <c>label-agreement</c>.
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class LabelAgreementStage(LabelAgreementOptions options) : IStage
{
    /// <summary>The artifact key of this stage's <see cref="EvaluationResults"/>.</summary>
    public const string ResultsKey = "label-agreement";

    /// <inheritdoc />
    public Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        IGoldEvaluator gold = context.Task.Gold ?? throw new InvalidOperationException("label-agreement needs a task with a gold evaluator.");
        FeedbackDataset labels = context.Artifacts.Get(ArtifactKeys.Feedback);
        var measured = labels.Pairwise.Where(l => gold.Evaluate(l.First).Score != gold.Evaluate(l.Second).Score).ToList();
        bool Uncheckable(PairwiseFeedback l) => gold.Evaluate(l.First).Get(GoldFeatures.Difficulty) > options.VerificationLimit;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [LabelMetrics.Agreement] = TaskMetrics.GoldAgreement(measured, gold),
            [LabelMetrics.AgreementCheckable] = TaskMetrics.GoldAgreement(measured.Where(l => !Uncheckable(l)), gold),
            [LabelMetrics.AgreementUncheckable] = TaskMetrics.GoldAgreement(measured.Where(Uncheckable), gold),
            [LabelMetrics.UncheckableFraction] = measured.Count == 0 ? double.NaN : (double)measured.Count(Uncheckable) / measured.Count,
        };
        foreach ((string name, double value) in metrics)
        {
            context.Metrics.Log(name, value, 0);
        }
        context.Artifacts.Set(new EvaluationResults(ResultsKey, metrics), ResultsKey);
        context.Logger.LogInformation("Labels agree with gold on {Agreement:P1} of pairs, {Uncheckable:P1} beyond the verification limit {Limit}",
            metrics[LabelMetrics.Agreement], metrics[LabelMetrics.AgreementUncheckable], options.VerificationLimit);
        return Task.CompletedTask;
    }
}
