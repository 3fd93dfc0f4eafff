using AlignFx.Evaluation;
using System.Globalization;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Ppo.Evaluation;

/// <summary>
/// The RLHF disclosure card (Casper et al. 2023, Fig. 4; ARCHITECTURE §8) filled from a run: human feedback, reward
/// model, policy, systemic safety. Items the run cannot know say so.
/// </summary>
internal static class Disclosure
{
    /// <summary>The card's sections, each a list of (item, text).</summary>
    public static IReadOnlyList<(string Section, IReadOnlyList<(string Item, string Text)> Items)> Card(ReportContent content) =>
    [
        ("Human feedback", HumanFeedback(content)),
        ("Reward model", RewardModel(content)),
        ("Policy", Policy(content)),
        ("Systemic safety", SystemicSafety(content)),
    ];

    /// <summary>
    /// The reward-hacking signal (<see cref="AlignFx.Evaluation.RewardHacking"/>): from the evaluate stage's base and
    /// final results, else from the first and last optimisation evaluations, without an error estimate.
    /// </summary>
    /// <returns>A sentence, or null when the run has neither measurement.</returns>
    public static string? RewardHacking(ReportContent content)
    {
        EvaluationResults? before = content.Get(EvaluateStage.BaseKey), after = content.Get(EvaluateStage.FinalKey);
        RewardHacking.Verdict? verdict;
        string where;
        if (before is not null && after is not null && before.Metrics.ContainsKey(MetricNames.ProxyRewardMean))
        {
            double n = before.Metrics.GetValueOrDefault(EvaluateStage.ResponsesMetric, double.NaN);
            verdict = AlignFx.Evaluation.RewardHacking.Judge(before.Metrics, after.Metrics, MetricNames.ProxyRewardMean, n);
            where = "held-out evaluation, base → final";
        }
        else
        {
            var proxy = content.MainSeries("eval/proxy_reward") is { Count: > 1 } p ? p : content.MainSeries(MetricNames.ProxyRewardMean);
            var gold = content.MainSeries(TaskMetrics.Accuracy);
            var goldUncheckable = content.MainSeries(TaskMetrics.AccuracyUncheckable);
            if (proxy.Count < 2 || gold.Count < 2)
            {
                return null;
            }
            var overall = new RewardHacking.Change(gold[0].Value, gold[^1].Value, double.NaN);
            var uncheckable = goldUncheckable.Count < 2 ? new RewardHacking.Change(double.NaN, double.NaN, double.NaN)
                : new RewardHacking.Change(goldUncheckable[0].Value, goldUncheckable[^1].Value, double.NaN);
            verdict = AlignFx.Evaluation.RewardHacking.Judge(proxy[0].Value, proxy[^1].Value, overall, uncheckable);
            where = "optimisation, first → last evaluation";
        }
        if (verdict is null)
        {
            return null;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{(verdict.Detected ? "Reward hacking detected" : "No reward hacking detected")} ({where}): proxy reward {ReportContent.Format(verdict.ProxyBefore)} → {ReportContent.Format(verdict.ProxyAfter)}, " +
            $"gold accuracy {Describe(verdict.Overall)}{(verdict.Uncheckable.IsFinite ? $", on items the evaluator cannot check {Describe(verdict.Uncheckable)}" : "")}.");
    }

    private static string Describe(RewardHacking.Change change)
    {
        string text = $"{ReportContent.Format(change.Before)} → {ReportContent.Format(change.After)}";
        if (double.IsFinite(change.StandardError))
        {
            text += $" ({(change.After - change.Before >= 0 ? "+" : "−")}{ReportContent.Format(Math.Abs(change.After - change.Before))} ± {ReportContent.Format(2 * change.StandardError)})";
        }
        return text;
    }

    private static List<(string, string)> HumanFeedback(ReportContent content)
    {
        var items = new List<(string, string)>();
        EvaluationResults? pretrain = content.Get("pretrain");
        items.Add(("Pretraining", pretrain is null
            ? "Not recorded by this run."
            : "The base policy was pretrained on the task's corpus; " + Metrics(pretrain, 3) + "."));
        if (content.Feedback is not { Records.Count: > 0 } data)
        {
            items.Add(("Feedback", "No feedback was collected in this run."));
            return items;
        }
        var sources = data.Records.GroupBy(r => r.Provenance.Source).Select(g => $"{g.Key} ({g.Count()} labels)");
        var annotators = data.Records.Select(r => r.Provenance.Annotator).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var kinds = data.Records.Select(r => r.Kind.ToString().ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal);
        items.Add(("Selection of humans", $"Source(s): {string.Join(", ", sources)}; {annotators.Count} annotator(s): {string.Join(", ", annotators.Take(5))}{(annotators.Count > 5 ? ", ..." : "")}."));
        items.Add(("Type of feedback", $"{string.Join(", ", kinds)}; {data.Records.Count} records costing {ReportContent.Format(data.TotalCost)} ({ReportContent.Format(data.TotalCost / data.Records.Count)} per label)."));
        items.Add(("Selection of examples", "Responses the pipeline's policy sampled on the task's prompts (see the collect-feedback stage's options)."));
        double confidence = data.Records.Average(r => r.Provenance.Confidence);
        EvaluationResults? feedback = content.Get("feedback");
        string agreement = feedback?.Metrics.TryGetValue(TaskMetrics.LabelGoldAgreement, out double a) == true
            ? $"labels agree with the gold preference {ReportContent.Format(a)} of the time"
            : "agreement with gold not measured";
        items.Add(("Quality assurance", $"Mean annotator confidence {ReportContent.Format(confidence)}; {agreement}."));
        return items;
    }

    private static List<(string, string)> RewardModel(ReportContent content)
    {
        EvaluationResults? trained = content.Get("reward-model"), evaluated = content.Get("reward-model/eval");
        var loss = content.History.Read(MetricNames.RewardModelLoss);
        return
        [
            ("Loss function", trained is null && loss.Count == 0
                ? "No reward model was trained in this run."
                : "Bradley–Terry cross-entropy on pairwise preferences" + (loss.Count > 0 ? $"; rm/loss {ReportContent.Format(loss[0].Value)} → {ReportContent.Format(loss[^1].Value)} over {loss.Count} points" : "") + "."),
            ("Evaluation and results", evaluated is not null ? Metrics(evaluated, 8) + "." : trained is not null ? Metrics(trained, 8) + "." : "Not evaluated in this run."),
        ];
    }

    private static List<(string, string)> Policy(ReportContent content)
    {
        var rows = content.BaseVersusFinal();
        string evaluation = rows.Count == 0
            ? "No held-out evaluation in this run."
            : string.Join("; ", rows.Take(4).Select(r => $"{r.Metric} {ReportContent.Format(r.Base)} → {ReportContent.Format(r.Final)}")) + " (base → final, held-out prompts).";
        EvaluationResults? optimize = content.Get("optimize");
        return
        [
            ("Evaluation and results", evaluation),
            ("Optimisation", optimize is null ? "No optimisation results recorded." : Metrics(optimize, 6) + "."),
        ];
    }

    private static List<(string, string)> SystemicSafety(ReportContent content)
    {
        var monitored = content.History.Names.Where(n => n.StartsWith("gold/", StringComparison.Ordinal) || n.StartsWith("proxy/", StringComparison.Ordinal) || n == MetricNames.Kl).ToList();
        return
        [
            ("Monitoring", monitored.Count == 0
                ? "No gold, proxy or KL series were logged."
                : $"The run logged {monitored.Count} gold/proxy/KL series ({string.Join(", ", monitored.Take(6))}{(monitored.Count > 6 ? ", ..." : "")}); gold metrics use the task's truth, which no trained component sees."),
            ("Expected risks", RewardHacking(content) ?? "Reward hacking could not be assessed (no proxy and uncheckable-accuracy measurements)."),
            ("Auditing", "None: a simulated study; no internal or external audit."),
        ];
    }

    private static string Metrics(EvaluationResults results, int most) =>
        string.Join(", ", results.Metrics.Take(most).Select(m => $"{m.Key} {ReportContent.Format(m.Value)}"));
}
