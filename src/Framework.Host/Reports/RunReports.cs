using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Runs;
using AlignFx.Host.Chat;
using AlignFx.Host.Store;
using AlignFx.Reporting;

namespace AlignFx.Host.Reports;

/// <summary>
/// A run's report, built from the store alone, so that <c>alignfx run</c> and <c>alignfx report &lt;run-id&gt;</c>
/// write the same page: the run's stages by their manifest ids, each stage's metrics (final values and curves),
/// feedback, oversight transcripts, chat-model usage, files, what it spent, and its disclosure card.
/// </summary>
internal static class RunReports
{
    /// <summary>The report's file name in the run's folder.</summary>
    public const string FileName = "report.html";

    /// <summary>Transcripts shown per stage and method (the store keeps them all).</summary>
    internal const int TranscriptsShown = 3;

    private const string StepAxis = "step";

    /// <summary>The report of the run <paramref name="runId"/> (a full id).</summary>
    public static Report Build(RunStore store, string runId)
    {
        RunDetails details = store.GetRun(runId) ?? throw new RunStoreException($"No run has the id '{runId}'.");
        RunInfo run = details.Run;
        JsonObject? manifest = JsonNode.Parse(run.ManifestJson) as JsonObject;
        var facts = new List<ReportFact>
        {
            new("Run", run.Id),
            new("Name", run.Name),
            new("Status", run.Status.ToText() + (run.Error is null ? "" : ": " + run.Error)),
            new("Seed", run.Seed.ToString(CultureInfo.InvariantCulture)),
        };
        if (run.CompareId is not null)
        {
            facts.Add(new ReportFact("Compare", $"{run.CompareId}, arm {run.Arm}"));
        }
        if (manifest is not null)
        {
            facts.Add(new ReportFact("Task", Component(manifest["task"])));
            facts.Add(new ReportFact("Policy", Component(manifest["policy"])));
        }
        facts.Add(new ReportFact("Manifest SHA-256", run.ManifestSha256));

        var sections = new List<ReportSection> { Stages(details) };
        var series = store.GetMetrics(runId);
        var summaries = store.GetMetricSummaries(runId);
        var contributions = StoreReads.Contributions(store, runId);
        foreach (StageInfo stage in details.Stages)
        {
            sections.Add(StageSection(stage, series.Where(s => s.StageIndex == stage.Index).ToList(), summaries.Where(s => s.StageIndex == stage.Index).ToList(), store, runId));
            sections.AddRange(contributions.Where(c => c.StageIndex == stage.Index).SelectMany(c => c.Contribution.Sections).Select(s => Contributed(stage, s)));
        }
        if (series.Any(s => s.StageIndex is null))
        {
            sections.Add(StageSection(null, [.. series.Where(s => s.StageIndex is null)], [.. summaries.Where(s => s.StageIndex is null)], store, runId));
        }
        sections.Add(Spending(store, runId));
        sections.Add(Files(store, runId));
        var card = DisclosureCards.Card($"Run {run.Id}", manifest, store, [run.Id]);
        return new Report($"Run: {run.Name}", ReportKinds.Run, run.Id, manifest?["description"]?.ToString(), facts, sections, [card]);
    }

    private static string Component(JsonNode? node) => node switch
    {
        JsonObject o => $"{o["name"]} {(o["options"] as JsonObject)?.ToJsonString(StoreReads.ReadableJson) ?? ""}".TrimEnd(),
        null => "n/a",
        _ => node.ToJsonString(StoreReads.ReadableJson),
    };

    private static ReportSection Stages(RunDetails details) => new("Stages", "The manifest's stages in order, by their ids.")
    {
        Tables =
        [
            new ReportTable(null, ["#", "id", "stage", "status"],
                [.. details.Stages.Select(s => (IReadOnlyList<string>)[s.Index.ToString(CultureInfo.InvariantCulture), s.StageId, s.Name, s.Status.ToText() + (s.Error is null ? "" : ": " + s.Error)])]),
        ],
    };

    private static ReportSection StageSection(StageInfo? stage, List<MetricSeries> series, List<MetricSummary> summaries, RunStore store, string runId)
    {
        var tables = new List<ReportTable>();
        if (summaries.Count > 0)
        {
            tables.Add(new ReportTable("Metrics", ["metric", "final", "min", "max", "points", "last step"],
                [.. summaries.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => (IReadOnlyList<string>)
                    [s.Name, StoreReads.Format(s.Last), StoreReads.Format(s.Min), StoreReads.Format(s.Max), s.Points.ToString(CultureInfo.InvariantCulture), s.LastStep.ToString(CultureInfo.InvariantCulture)])]));
        }
        int? index = stage?.Index;
        var feedback = store.GetFeedbackCounts(runId).Where(f => f.StageIndex == index).ToList();
        if (feedback.Count > 0)
        {
            tables.Add(new ReportTable("Feedback", ["source", "kind", "records", "cost"],
                [.. feedback.Select(f => (IReadOnlyList<string>)[f.Source, f.Kind, f.Records.ToString(CultureInfo.InvariantCulture), StoreReads.Format(f.TotalCost)])]));
        }
        var chat = ChatStore.Summarise(store, runId).Where(c => c.StageIndex == index).ToList();
        if (chat.Count > 0)
        {
            tables.Add(new ReportTable("Chat models", ["model", "calls", "cached", "input tokens", "output tokens"],
                [.. chat.Select(c => (IReadOnlyList<string>)[c.Model, Text(c.Calls), Text(c.Cached), Text(c.InputTokens), Text(c.OutputTokens)])]));
        }
        var transcripts = store.GetTranscripts(runId, index).Where(t => t.StageIndex == index)
            .GroupBy(t => t.Method).SelectMany(g => g.Take(TranscriptsShown).Select((t, i) => new ReportTranscript($"{g.Key}, transcript {i + 1} of {g.Count()}", Pretty(t.PayloadJson))))
            .ToList();
        var charts = series.Where(s => s.Values.Count > 1).OrderBy(s => s.Name, StringComparer.Ordinal)
            .Select(s => new ReportChart(s.Name, StepAxis, s.Name, [new ChartSeries(s.Name, [.. s.Steps.Zip(s.Values).Select(p => new ChartPoint(p.First, p.Second))])]))
            .ToList();
        string title = stage is null ? "Run-level metrics" : stage.StageId == stage.Name ? $"Stage {stage.StageId}" : $"Stage {stage.StageId} ({stage.Name})";
        return new ReportSection(title, summaries.Count == 0 && feedback.Count == 0 && transcripts.Count == 0 ? "This stage logged no metrics." : null)
        {
            Tables = tables,
            Charts = charts,
            Transcripts = transcripts,
        };
    }

    /// <summary>A section a stage contributed, as the engine draws it: tables, one chart per series, the multi-series charts, texts, dialogues.</summary>
    private static ReportSection Contributed(StageInfo stage, ReportSectionData data) => new($"{stage.StageId}: {data.Title}", data.Text)
    {
        Tables = [.. data.Tables.Select(t => new ReportTable(t.Title, t.Columns, t.Rows))],
        Charts =
        [
            .. data.Series.Select(s => new ReportChart(s.Name, s.XLabel, s.Name, [Line(s)])),
            .. data.Charts.Select(c => new ReportChart(c.Title, c.XLabel, c.YLabel, [.. c.Series.Select(Line)])),
        ],
        Transcripts = [.. data.Texts.Select((t, i) => new ReportTranscript($"{data.Title}, text {i + 1}", t))],
        Dialogues = [.. data.Dialogues.Select(d => new ReportDialogue(d.Title, d.Outcome, [.. d.Turns.Select(t => new ReportDialogueLine(t.Speaker, t.Text))]))],
    };

    private static ChartSeries Line(ReportSeriesData s) => new(s.Name, [.. s.X.Zip(s.Y).Select(p => new ChartPoint(p.First, p.Second))]);

    private static ReportSection Spending(RunStore store, string runId)
    {
        RunBudget budget = RunBudget.Of(store, runId);
        return new ReportSection("Budget", "What the run spent, as the store records it.")
        {
            Tables = [new ReportTable(null, ["quantity", "amount"], [.. RunBudget.Rows.Select(r => (IReadOnlyList<string>)[r.Row, StoreReads.Count(r.Value(budget))])])],
        };
    }

    private static ReportSection Files(RunStore store, string runId)
    {
        var artifacts = store.GetArtifacts(runId);
        return new ReportSection("Files", artifacts.Count == 0 ? "The run registered no files." : "Files the run wrote under its folder.")
        {
            Tables = artifacts.Count == 0 ? [] :
                [new ReportTable(null, ["file", "kind", "bytes"], [.. artifacts.Select(a => (IReadOnlyList<string>)[a.RelativePath, a.Kind, a.Bytes.ToString(CultureInfo.InvariantCulture)])])],
        };
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Pretty(string json)
    {
        try
        {
            return JsonNode.Parse(json)?.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? json;
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
