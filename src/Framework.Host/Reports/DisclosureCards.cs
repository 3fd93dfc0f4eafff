using System.Text.Json.Nodes;
using AlignFx.Abstractions.Runs;
using AlignFx.Evaluation;
using AlignFx.Host.Store;
using AlignFx.Reporting;

namespace AlignFx.Host.Reports;

/// <summary>
/// The RLHF disclosure card (Casper et al. 2023, Fig. 4) of one pipeline, filled from its manifest (which stages ran,
/// with which components and options) and from what its runs recorded (feedback records, transcripts, metrics), for
/// any method: nothing here names a particular loss, source or optimiser. Over several runs (a compare arm's seeds)
/// measured values are means over the runs.
/// </summary>
internal static class DisclosureCards
{
    // Metric families, by the field's prefixes (ARCHITECTURE §7).
    private const string FeedbackFamily = MetricNames.Feedback.Prefix;
    private const string RewardModelFamily = MetricNames.RewardModel.Prefix;
    private const string RewardModelEvaluationFamily = MetricNames.RewardModelEvaluation.Prefix;
    private const string GoldFamily = MetricNames.Gold.Prefix;
    private const string ProxyFamily = MetricNames.Proxy.Prefix;
    private const string ObjectiveFamily = MetricNames.Objective.Prefix;
    private const string LossWord = "loss";
    private const string NotRecorded = "Not recorded by this run.";

    public static DisclosureCard Card(string title, JsonObject? pipeline, RunStore store, IReadOnlyList<string> runIds)
    {
        var measured = runIds.Select(id => StoreReads.FinalValues(store, id)).ToList();
        var stages = (pipeline?["stages"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var groups = new List<(string Title, List<ReportFact> Items)>
        {
            (DisclosureGroups.HumanFeedback, HumanFeedback(stages, store, runIds, measured)),
            (DisclosureGroups.RewardModel, RewardModel(stages, store, runIds, measured)),
            (DisclosureGroups.Policy, Policy(store, runIds, measured)),
            (DisclosureGroups.SystemicSafety, SystemicSafety(store, runIds, measured)),
        };
        // What components state about themselves wins over what the manifest lets the host infer; the first run's word
        // counts where seeds disagree.
        var stated = runIds.SelectMany(id => StoreReads.Contributions(store, id)).SelectMany(c => c.Contribution.Disclosure)
            .DistinctBy(f => (f.Group, f.Item));
        foreach (DisclosureFact fact in stated)
        {
            int g = groups.FindIndex(x => x.Title == fact.Group);
            if (g < 0)
            {
                groups.Add((fact.Group, []));
                g = groups.Count - 1;
            }
            List<ReportFact> items = groups[g].Items;
            int i = items.FindIndex(x => x.Name == fact.Item);
            var item = new ReportFact(fact.Item, fact.Text + StatedBy);
            if (i >= 0)
            {
                items[i] = item;
            }
            else
            {
                items.Add(item);
            }
        }
        return new DisclosureCard(title, [.. groups.Select(x => new DisclosureGroup(x.Title, x.Items))]);
    }

    private const string StatedBy = " (stated by the component)";

    private static List<ReportFact> HumanFeedback(List<JsonObject> stages, RunStore store, IReadOnlyList<string> runIds, List<Dictionary<string, double>> measured)
    {
        var counts = runIds.SelectMany(store.GetFeedbackCounts).ToList();
        if (counts.Count == 0)
        {
            return [new ReportFact("Feedback", "No feedback was collected.")];
        }
        double runs = runIds.Count;
        var feedbackStages = counts.Where(c => c.StageIndex is { } i && i < stages.Count).Select(c => c.StageIndex!.Value).Distinct().Order().ToList();
        string sources = string.Join("; ", counts.GroupBy(c => c.Source)
            .Select(g => $"{g.Key} ({StoreReads.Count(g.Sum(c => c.Records) / runs)} labels per run)"));
        string configured = feedbackStages.Count == 0 ? "" :
            " As configured: " + string.Join("; ", feedbackStages.Select(i => Describe(stages[i], components: true))) + ".";
        var entries = runIds.SelectMany(id => store.GetFeedback(id)).ToList();
        int annotators = entries.Select(e => e.Annotator ?? "").Distinct(StringComparer.Ordinal).Count();
        var confidences = entries.Where(e => e.Confidence is not null).Select(e => e.Confidence!.Value).ToList();
        string kinds = string.Join(", ", counts.GroupBy(c => c.Kind).Select(g => $"{g.Key} ({StoreReads.Count(g.Sum(c => c.Records) / runs)} per run)"));
        double cost = counts.Sum(c => c.TotalCost) / runs, labels = counts.Sum(c => c.Records) / runs;
        string agreement = Mean(measured, MetricNames.Feedback.GoldAgreement) is { } a
            ? $"labels agree with the gold preference {StoreReads.Format(a)} of the time (measured with the task's truth, which no source sees)"
            : "agreement with gold not measured";
        string selection = feedbackStages.Count == 0 ? NotRecorded
            : "Responses chosen by " + string.Join("; ", feedbackStages.Select(i => Describe(stages[i], components: false))) + ".";
        return
        [
            new ReportFact("Selection of humans", $"Source(s): {sources}; {annotators} distinct annotator(s).{configured}"),
            new ReportFact("Type of feedback", $"{kinds}; {StoreReads.Format(cost)} cost per run ({StoreReads.Format(labels > 0 ? cost / labels : double.NaN)} per label)."),
            new ReportFact("Selection of examples", selection),
            new ReportFact("Quality assurance", (confidences.Count > 0 ? $"Mean stated confidence {StoreReads.Format(confidences.Average())}; " : "No confidence stated; ") + agreement + "."),
        ];
    }

    private static List<ReportFact> RewardModel(List<JsonObject> stages, RunStore store, IReadOnlyList<string> runIds, List<Dictionary<string, double>> measured)
    {
        var trainers = StagesLogging(store, runIds, RewardModelFamily, stages);
        var evaluators = StagesLogging(store, runIds, RewardModelEvaluationFamily, stages);
        if (trainers.Count == 0 && evaluators.Count == 0)
        {
            return [new ReportFact("Reward model", "No reward model was trained or evaluated in this run.")];
        }
        var losses = Names(measured, n => n.StartsWith(RewardModelFamily, StringComparison.Ordinal) && n.Contains(LossWord, StringComparison.Ordinal));
        string loss = trainers.Count == 0 ? NotRecorded
            : "As configured (the reward model states no loss of its own): " + string.Join("; ", trainers.Select(s => Describe(s, components: true)))
              + (losses.Count > 0 ? "; final " + Values(measured, losses) : "") + ".";
        var results = Names(measured, n => n.StartsWith(RewardModelEvaluationFamily, StringComparison.Ordinal)
            || (n.StartsWith(RewardModelFamily, StringComparison.Ordinal) && !n.Contains(LossWord, StringComparison.Ordinal)));
        return
        [
            new ReportFact("Loss function", loss),
            new ReportFact("Evaluation and results", results.Count == 0 ? "Not evaluated in this run." : Values(measured, results) + MeanNote(runIds) + "."),
        ];
    }

    private static List<ReportFact> Policy(RunStore store, IReadOnlyList<string> runIds, List<Dictionary<string, double>> measured)
    {
        var evaluation = Names(measured, n => n.StartsWith(GoldFamily, StringComparison.Ordinal) || n.StartsWith(ProxyFamily, StringComparison.Ordinal));
        var objective = Names(measured, n => n.StartsWith(ObjectiveFamily, StringComparison.Ordinal));
        return
        [
            new ReportFact("Evaluation and results", evaluation.Count == 0 ? "No gold or proxy evaluation of the policy in this run." : "Final " + Values(measured, evaluation) + MeanNote(runIds) + "."),
            new ReportFact("Optimisation", objective.Count == 0 ? "The policy was not optimised against a reward in this run." : "Final " + Values(measured, objective) + MeanNote(runIds) + "."),
        ];
    }

    private static List<ReportFact> SystemicSafety(RunStore store, IReadOnlyList<string> runIds, List<Dictionary<string, double>> measured)
    {
        var monitored = Names(measured, n => n.StartsWith(GoldFamily, StringComparison.Ordinal) || n.StartsWith(ProxyFamily, StringComparison.Ordinal) || n == MetricNames.Objective.Kl);
        var transcripts = runIds.SelectMany(store.GetTranscriptCounts).GroupBy(t => t.Method).ToList();
        return
        [
            new ReportFact("Monitoring", monitored.Count == 0
                ? "No gold, proxy or KL series were logged."
                : $"{monitored.Count} gold/proxy/KL series logged ({string.Join(", ", monitored)}); gold metrics use the task's truth, which no trained component sees."),
            new ReportFact("Oversight", transcripts.Count == 0
                ? "No oversight transcripts were recorded."
                : "Transcripts recorded: " + string.Join(", ", transcripts.Select(g => $"{g.Key} ({StoreReads.Count(g.Sum(t => t.Transcripts) / (double)runIds.Count)} per run)")) + "; the report's transcript section shows the first ones."),
            new ReportFact("Expected risks", OveroptimisationSignal(store, runIds)),
            new ReportFact("Auditing", "None recorded: a simulated study; no internal or external audit."),
        ];
    }

    /// <summary>Proxy reward against gold accuracy over the run: the overoptimisation signal (proxy up, gold down).</summary>
    private static string OveroptimisationSignal(RunStore store, IReadOnlyList<string> runIds)
    {
        var changes = runIds.Select(id => (Proxy: Change(store, id, MetricNames.Proxy.RewardMean), Gold: Change(store, id, MetricNames.Gold.Accuracy)))
            .Where(c => c.Proxy is not null && c.Gold is not null).ToList();
        if (changes.Count == 0)
        {
            return $"Overoptimisation could not be assessed: no run logged both {MetricNames.Proxy.RewardMean} and {MetricNames.Gold.Accuracy} at least twice in one stage.";
        }
        int hacked = changes.Count(c => c.Proxy > 0 && c.Gold < 0);
        return $"{MetricNames.Proxy.RewardMean} rose while {MetricNames.Gold.Accuracy} fell (first → last point of the stage that logged them) in {hacked} of {changes.Count} run(s); " +
            $"mean change: proxy {StoreReads.Format(changes.Average(c => c.Proxy!.Value))}, gold {StoreReads.Format(changes.Average(c => c.Gold!.Value))}.";
    }

    private static double? Change(RunStore store, string runId, string metric) =>
        StoreReads.LastSeries(store, runId, metric) is { Values.Count: > 1 } s ? s.Values[^1] - s.Values[0] : null;

    private static List<JsonObject> StagesLogging(RunStore store, IReadOnlyList<string> runIds, string family, List<JsonObject> stages) =>
        [.. runIds.SelectMany(store.GetMetricSummaries)
            .Where(m => m.Name.StartsWith(family, StringComparison.Ordinal) && m.StageIndex is { } i && i < stages.Count)
            .Select(m => m.StageIndex!.Value).Distinct().Order().Select(i => stages[i])];

    /// <summary>A stage as "id (stage name) {options}", with or without its nested components (sources, judges).</summary>
    private static string Describe(JsonObject stage, bool components)
    {
        string id = stage["id"]?.ToString() ?? "?", name = stage["stage"]?.ToString() ?? "?";
        var options = new JsonObject();
        foreach (var (key, value) in stage)
        {
            bool nested = value is JsonObject o && o.ContainsKey("name");
            if (key is "id" or "stage" || nested != components)
            {
                continue;
            }
            options[key] = value?.DeepClone();
        }
        string text = options.Count == 0 ? "" : " " + options.ToJsonString(StoreReads.ReadableJson);
        return id == name ? $"{name}{text}" : $"{id} ({name}){text}";
    }

    private static List<string> Names(List<Dictionary<string, double>> measured, Func<string, bool> keep) =>
        [.. measured.SelectMany(m => m.Keys).Distinct().Where(keep).Order(StringComparer.Ordinal)];

    private static double? Mean(List<Dictionary<string, double>> measured, string metric)
    {
        var values = measured.Where(m => m.ContainsKey(metric)).Select(m => m[metric]).ToList();
        return values.Count == 0 ? null : values.Average();
    }

    private static string Values(List<Dictionary<string, double>> measured, IEnumerable<string> names) =>
        string.Join(", ", names.Select(n => $"{n} {StoreReads.Format(Mean(measured, n) ?? double.NaN)}"));

    private static string MeanNote(IReadOnlyList<string> runIds) => runIds.Count > 1 ? $" (means over {runIds.Count} seeds)" : "";
}
