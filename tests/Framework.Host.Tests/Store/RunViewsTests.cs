using System.Globalization;
using System.Text;
using System.Text.Json;
using AlignFx.Host.Store;
using FsCheck.Xunit;

namespace AlignFx.Host.Tests.Store;

/// <summary>The <c>runs</c> views against golden files, from a store filled deterministically (fixed clock, ids, process).</summary>
public sealed class RunViewsTests : IDisposable
{
    private const string Completed = "20250314-101500-qk7m2a";
    private const string Compare = "20250314-102959-cmpx01";
    private const string Failed = "20250314-103000-f41x9b";
    private const string Running = "20250314-110000-r8d3pz";
    private static readonly DateTimeOffset T0 = new(2025, 3, 14, 10, 15, 0, TimeSpan.Zero);

    private readonly TempFolder folder = new();
    private readonly ManualClock clock = new(T0);
    private readonly RunStore store;

    public RunViewsTests()
    {
        var ids = new Queue<string>([Completed, Compare, Failed, Running]);
        store = RunStore.Open(folder.DatabasePath, new RunStoreOptions
        {
            Clock = clock,
            NewId = _ => ids.Dequeue(),
            ProcessOverride = new ProcessIdentity(4242, "lab-01", null),
        });
        Fill();
    }

    public void Dispose()
    {
        store.Dispose();
        folder.Dispose();
    }

    private void At(int hour, int minute, double second) =>
        clock.Advance(new DateTimeOffset(2025, 3, 14, hour, minute, 0, TimeSpan.Zero).AddSeconds(second) - clock.Now);

    private void Fill()
    {
        var run = store.BeginRun(new NewRun("quickstart", 42, """{ "name": "quickstart", "seed": 42 }""") { PlannedStages = 3 });
        run.BeginStage("pretrain");
        double[] loss = [3.2, 2.5, 2.1, 1.9, 1.85];
        for (var i = 0; i < loss.Length; i++)
            run.LogMetric("loss/lm", i * 100, loss[i]);
        File.WriteAllText(run.GetPath("stage-0/policy.bin"), "policy-v1");
        run.AddArtifact("policy", "checkpoint", "stage-0/policy.bin");
        At(10, 15, 12.5);
        run.EndStage();

        run.BeginStage("collect-feedback", "labels");
        run.AddFeedback(
        [
            new FeedbackEntry("simulated-human", "persona-1", "pairwise", """{"chosen":0,"rejected":1}""", 1, TimeSpan.FromSeconds(2), 0.9),
            new FeedbackEntry("simulated-human", "persona-2", "pairwise", """{"chosen":1,"rejected":0}""", 1, TimeSpan.FromSeconds(3), 0.6),
            new FeedbackEntry("debate-judge", null, "critique", """{"text":"cites no source"}""", 0.25, null, null),
        ]);
        At(10, 16, 13.5);
        run.EndStage();

        run.BeginStage("optimise", "ppo");
        double[] kl = [0, 0.05, 0.12], gold = [0.1, 0.3, 0.25], proxy = [0.1, 0.4, double.NaN];
        for (var step = 0; step < 3; step++)
        {
            run.LogMetric("objective/kl", step, kl[step]);
            run.LogMetric("gold/reward", step, gold[step]);
            run.LogMetric("proxy/reward", step, proxy[step]);
        }
        run.LogMetric("eval/acc,top1", 2, 0.5);
        run.LogMetric("odd \"name\"", 2, double.PositiveInfinity);
        run.AddTranscript(new TranscriptEntry("debate", """{"turns":["A","B"],"verdict":"A"}"""));
        run.AddTranscript(new TranscriptEntry("debate", """{"turns":["A","B"],"verdict":"B"}"""));
        At(10, 18, 16.5);
        run.EndStage();
        run.LogMetric("final/score", 0, 0.875);
        File.WriteAllText(run.GetPath("report.md"), "# quickstart\n");
        run.AddArtifact("report", "report", "report.md");
        At(10, 18, 20);
        run.End(RunStatus.Completed);

        At(10, 29, 59);
        var compare = store.BeginCompare("rlhf-vs-debate", """{ "arms": ["rlhf", "debate"] }""");
        At(10, 30, 0);
        var arm = store.BeginRun(new NewRun("rlhf-vs-debate", 7, """{ "name": "rlhf-vs-debate/debate" }""") { CompareId = compare.Id, Arm = "debate", PlannedStages = 4 });
        arm.BeginStage("pretrain");
        arm.LogMetric("loss/lm", 0, 3.1);
        At(10, 30, 4.25);
        arm.End(RunStatus.Failed, "Out of memory in stage pretrain.\n   at Somewhere()");

        At(11, 0, 0);
        var running = store.BeginRun(new NewRun("long-job", 1, "{}"));
        running.BeginStage("optimise");
        At(12, 34, 56);
    }

    private static string Render(Action<TextWriter> write)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        write(writer);
        return writer.ToString();
    }

    [Fact]
    public void RunsListMatchesItsGoldenFile()
    {
        Golden.Match("runs-list.txt", Render(w => RunViews.WriteRunList(store, w)));
        var rows = RunViews.ListRows(store);
        Assert.Equal([Running, Failed, Completed], rows.Select(r => r.Id));
        Assert.Equal(new TimeSpan(1, 34, 56), rows[0].Duration);
        Assert.Equal((3, 3), (rows[2].StagesDone, rows[2].StagesTotal));
    }

    [Fact]
    public void RunsShowMatchesItsGoldenFiles()
    {
        Golden.Match("runs-show-completed.txt", Render(w => RunViews.WriteRunShow(store, Completed, w)));
        Golden.Match("runs-show-failed-arm.txt", Render(w => RunViews.WriteRunShow(store, "20250314-1030", w)));
        Golden.Match("runs-show-running.txt", Render(w => RunViews.WriteRunShow(store, Running, w)));
    }

    [Fact]
    public void ExportsMatchTheirGoldenFiles()
    {
        Golden.Match("export.csv", Render(w => RunViews.Export(store, Completed, ExportFormat.Csv, w)));
        Golden.Match("export.json", Render(w => RunViews.Export(store, Completed, ExportFormat.Json, w)));
    }

    [Fact]
    public void UnknownRunsAreReportedPlainly()
    {
        var error = Assert.Throws<RunStoreException>(() => RunViews.WriteRunShow(store, "1999", TextWriter.Null));
        Assert.Contains("No run has the id '1999'", error.Message);
        Assert.Throws<RunStoreException>(() => RunViews.ExportCsv(store, "2025", TextWriter.Null)); // ambiguous
    }

    [Fact]
    public void AnEmptyStoreSaysSo()
    {
        using var empty = new TempFolder();
        using var emptyStore = RunStore.Open(empty.DatabasePath);
        Assert.Equal($"No runs yet in {empty.DatabasePath}.\n", Render(w => RunViews.WriteRunList(emptyStore, w)));
    }

    [Fact]
    public void TheCsvExportParsesBackToTheStoredSeries()
    {
        var rows = ParseCsv(Render(w => RunViews.ExportCsv(store, Completed, w)));
        Assert.Equal(["run_id", "stage", "name", "step", "value"], rows[0]);
        var expected = store.GetMetrics(Completed)
            .SelectMany(s => s.Steps.Select((step, i) => (s.StageIndex, s.Name, step, s.Values[i])))
            .ToList();
        var actual = rows.Skip(1).Select(r =>
        {
            Assert.Equal(Completed, r[0]);
            return ((int?)(r[1] == "" ? null : int.Parse(r[1], CultureInfo.InvariantCulture)), r[2],
                long.Parse(r[3], CultureInfo.InvariantCulture), double.Parse(r[4], CultureInfo.InvariantCulture));
        }).ToList();
        Assert.Equal(expected, actual);
        Assert.Contains(actual, r => r.Item2 == "eval/acc,top1");
        Assert.Contains(actual, r => r.Item2 == "odd \"name\"" && double.IsPositiveInfinity(r.Item4));
    }

    [Fact]
    public void TheJsonExportHoldsTheStoredSeries()
    {
        using var json = JsonDocument.Parse(Render(w => RunViews.ExportJson(store, Completed, w)));
        var root = json.RootElement;
        Assert.Equal(Completed, root.GetProperty("run").GetProperty("id").GetString());
        Assert.Equal(3, root.GetProperty("stages").GetArrayLength());
        var series = root.GetProperty("series").EnumerateArray().ToList();
        var stored = store.GetMetrics(Completed);
        Assert.Equal(stored.Count, series.Count);
        for (var i = 0; i < stored.Count; i++)
        {
            Assert.Equal(stored[i].Name, series[i].GetProperty("name").GetString());
            Assert.Equal(stored[i].Steps, series[i].GetProperty("steps").EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal(stored[i].Values, series[i].GetProperty("values").EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetDouble()));
        }
    }

    [Property(MaxTest = 300)]
    public bool ACsvFieldParsesBackToItsText(string? text)
    {
        text ??= "";
        var parsed = ParseCsv(RunViews.CsvField(text) + "\r\n");
        return parsed.Count == 1 && parsed[0].Count == 1 && parsed[0][0] == text;
    }

    [Theory]
    [InlineData(0.0, "0.0s")]
    [InlineData(59.94, "59.9s")]
    [InlineData(60.0, "1m00s")]
    [InlineData(3599.0, "59m59s")]
    [InlineData(3600.0, "1h00m00s")]
    [InlineData(90061.0, "1d01h01m")]
    public void DurationsReadNaturally(double seconds, string expected) =>
        Assert.Equal(expected, RunViews.FormatDuration(TimeSpan.FromSeconds(seconds)));

    /// <summary>A strict RFC 4180 reader (CRLF record ends, quoted fields with doubled quotes), independent of the writer.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    Assert.True(i < text.Length, "unterminated quoted field");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
            }
            else
            {
                while (i < text.Length && text[i] is not (',' or '\r'))
                {
                    Assert.False(text[i] is '"' or '\n', "a quote or line feed in an unquoted field");
                    field.Append(text[i++]);
                }
            }
            Assert.True(i < text.Length, "the last record must end with CRLF");
            record.Add(field.ToString());
            field.Clear();
            if (text[i] == ',')
            {
                i++;
                continue;
            }
            Assert.True(text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n', "records end with CRLF");
            i += 2;
            records.Add(record);
            record = [];
        }
        return records;
    }
}
