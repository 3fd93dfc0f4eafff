using System.Globalization;
using AlignFx.Abstractions.Runs;
using AlignFx.Evaluation;

namespace AlignFx.Ppo.Evaluation;

/// <summary>
/// The report's reward-hacking sentence, judged by <see cref="RewardHacking"/> (the one definition): from the evaluate
/// stage's base and final results with their sample size, else from the first and last optimisation evaluations,
/// without an error estimate.
/// </summary>
internal static class RewardHackingCall
{
    /// <summary>The call as a sentence, or null when the run has neither measurement.</summary>
    public static string? Assess(ReportContent content)
    {
        RewardHacking.Verdict? verdict;
        string where;
        if (content.Base is { } before && content.Final is { } after && before.Metrics.ContainsKey(MetricNames.Proxy.RewardMean))
        {
            double n = before.Metrics.GetValueOrDefault(PpoMetrics.GoldResponses, double.NaN);
            verdict = RewardHacking.Judge(before.Metrics, after.Metrics, MetricNames.Proxy.RewardMean, n);
            where = "held-out evaluation, base → final";
        }
        else
        {
            var proxy = content.MainSeries(MetricNames.Evaluation.ProxyReward) is { Count: > 1 } p ? p : content.MainSeries(MetricNames.Proxy.RewardMean);
            var gold = content.MainSeries(MetricNames.Gold.Accuracy);
            var goldUncheckable = content.MainSeries(MetricNames.Gold.AccuracyUncheckable);
            if (proxy.Count < 2 || gold.Count < 2)
            {
                return null;
            }
            var overall = new RewardHacking.Change(gold[0].Value, gold[^1].Value, double.NaN);
            var uncheckable = goldUncheckable.Count < 2 ? new RewardHacking.Change(double.NaN, double.NaN, double.NaN)
                : new RewardHacking.Change(goldUncheckable[0].Value, goldUncheckable[^1].Value, double.NaN);
            verdict = RewardHacking.Judge(proxy[0].Value, proxy[^1].Value, overall, uncheckable);
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
}
