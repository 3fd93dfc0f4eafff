using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Evaluation;
using Microsoft.Extensions.Logging;

namespace AlignFx.ConstitutionalCritique;

/// <summary>
/// <c>principle-agreement</c>: measures the pipeline's AI labels against the truth, per principle. Reads the
/// <see cref="FeedbackDataset"/> earlier stages collected, groups its pairwise labels by the principle their transcript
/// names (<c>ai-feedback</c>'s records), and logs each group's agreement with the gold preference
/// (<see cref="TaskMetrics.GoldAgreement"/>) as <c>cai/gold_agreement/&lt;principle&gt;</c> and its size as
/// <c>cai/labels/&lt;principle&gt;</c>; leaves them as <see cref="EvaluationResults"/> (key <see cref="CaiKeys.AgreementResults"/>).
/// </summary>
public sealed class PrincipleAgreementStage : IStage
{
    /// <inheritdoc />
    public Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        IGoldEvaluator gold = context.Task.Gold
            ?? throw new InvalidOperationException($"{CaiComponents.PrincipleAgreement} needs a task with a gold evaluator.");
        FeedbackDataset data = context.Artifacts.Get(ArtifactKeys.Feedback);
        var metrics = Measure(data.Pairwise, gold);
        if (metrics.Count == 0)
        {
            context.Logger.LogWarning("principle-agreement: no label names a principle (collect them with the {Source} source).", CaiComponents.AiFeedback);
        }
        foreach (var (name, value) in metrics)
        {
            context.Metrics.Log(name, value, 0);
        }
        context.Artifacts.Set(new EvaluationResults(CaiKeys.AgreementResults, metrics), CaiKeys.AgreementResults);
        context.Files.Contribute(CaiKeys.AgreementContribution, Contribution(metrics, context.Artifacts.TryGet<Constitution>(CaiKeys.ConstitutionArtifact)));
        return Task.CompletedTask;
    }

    /// <summary>
    /// The report data: a table of per-principle agreement and labels, and, when an earlier component left the
    /// constitution (ai-feedback, critique-revise), the constitution's section and disclosure fact.
    /// </summary>
    /// <param name="metrics">What <see cref="Measure"/> gave.</param>
    /// <param name="constitution">The constitution in use, or null.</param>
    /// <returns>The contribution.</returns>
    public static ReportContribution Contribution(IReadOnlyDictionary<string, double> metrics, Constitution? constitution)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var names = metrics.Keys.Where(k => k.StartsWith(CaiMetrics.PrincipleLabelsPrefix, StringComparison.Ordinal))
            .Select(k => k[CaiMetrics.PrincipleLabelsPrefix.Length..]).ToList();
        var table = new ReportTableData("Agreement of the labels with the gold preference, per principle", ["principle", "labels", "agreement with gold"],
            [.. names.Select(n => (IReadOnlyList<string>)
            [
                n,
                metrics[CaiMetrics.PrincipleLabelsPrefix + n].ToString("0", System.Globalization.CultureInfo.InvariantCulture),
                metrics[CaiMetrics.PrincipleAgreementPrefix + n].ToString("0.000", System.Globalization.CultureInfo.InvariantCulture),
            ])]);
        var sections = new List<ReportSectionData>
        {
            new("Per-principle agreement", "Each AI label is grouped by the principle it was given under and compared with the task's gold preference (which no labeller sees).") { Tables = [table] },
        };
        var facts = new List<DisclosureFact>();
        if (constitution is not null)
        {
            const string usedBy = "The AI labels of this run were given under the principles below";
            sections.Insert(0, ConstitutionReport.Section(constitution, usedBy));
            facts.Add(ConstitutionReport.Fact(constitution, usedBy));
        }
        return new ReportContribution(facts, sections);
    }

    /// <summary>Per-principle agreement with gold and label counts of <paramref name="labels"/>.</summary>
    /// <param name="labels">Pairwise labels; those without a principle are left out.</param>
    /// <param name="gold">The task's gold evaluator.</param>
    /// <returns>Metric name to value, principles in name order.</returns>
    public static IReadOnlyDictionary<string, double> Measure(IEnumerable<PairwiseFeedback> labels, IGoldEvaluator gold)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(gold);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var group in labels.Select(l => (Principle: AiFeedbackSource.PrincipleOf(l), Label: l))
                     .Where(x => x.Principle is not null).GroupBy(x => x.Principle!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            metrics[CaiMetrics.PrincipleAgreementPrefix + group.Key] = TaskMetrics.GoldAgreement(group.Select(x => x.Label), gold);
            metrics[CaiMetrics.PrincipleLabelsPrefix + group.Key] = group.Count();
        }
        return metrics;
    }
}
