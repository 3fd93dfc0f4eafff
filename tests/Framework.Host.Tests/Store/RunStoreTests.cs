using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AlignFx.Host.Store;
using Microsoft.Data.Sqlite;

namespace AlignFx.Host.Tests.Store;

public sealed class RunStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 14, 10, 15, 0, TimeSpan.Zero);
    private readonly TempFolder folder = new();
    private readonly ManualClock clock = new(T0);

    public void Dispose() => folder.Dispose();

    private RunStore Open(int flushRows = 2000, ProcessIdentity? process = null) => RunStore.Open(folder.DatabasePath, new RunStoreOptions
    {
        Clock = clock,
        NewId = RunIds.Deterministic(1),
        MetricFlushRows = flushRows,
        MetricFlushInterval = TimeSpan.FromSeconds(1),
        ProcessOverride = process,
    });

    [Fact]
    public void OpeningCreatesAWalDatabaseAtTheCurrentSchemaVersionWithForeignKeysOn()
    {
        using (var store = Open())
        {
            Assert.Equal(folder.DatabasePath, store.DatabasePath);
            Assert.Equal(Path.GetDirectoryName(folder.DatabasePath), store.RunsDirectory);
            using var command = store.Connection.CreateCommand();
            command.CommandText = "PRAGMA foreign_keys;";
            Assert.Equal(1L, command.ExecuteScalar());
        }
        Assert.Equal("wal", StoreTestSupport.Scalar(folder.DatabasePath, "PRAGMA journal_mode;"));
        Assert.Equal((long)StoreSchema.LatestVersion, StoreTestSupport.Scalar(folder.DatabasePath, "PRAGMA user_version;"));
    }

    [Fact]
    public void ReopeningKeepsDataAndAStoreFromANewerVersionIsRefused()
    {
        string id;
        using (var store = Open())
        {
            using var run = store.BeginRun(new NewRun("first", 1, "{}"));
            id = run.RunId;
            run.End(RunStatus.Completed);
        }
        using (var store = Open())
            Assert.Equal(RunStatus.Completed, store.GetRun(id)!.Run.Status);

        StoreTestSupport.Scalar(folder.DatabasePath, "PRAGMA user_version = 99;");
        var error = Assert.Throws<RunStoreException>(() => Open());
        Assert.Contains("schema version 99", error.Message);
        Assert.Contains(folder.DatabasePath, error.Message);
    }

    [Fact]
    public void ARunItsStagesAndItsOutcomeRoundTrip()
    {
        const string manifest = "{ // a comment\n \"name\": \"quickstart\", \"seed\": 42 }";
        using var store = Open();
        var run = store.BeginRun(new NewRun("quickstart", 42, manifest) { PlannedStages = 3 });
        Assert.Equal(store.GetRunFolder(run.RunId), run.Folder);
        Assert.True(Directory.Exists(run.Folder));
        Assert.Equal(Path.Combine(store.RunsDirectory, run.RunId), run.Folder);

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, run.BeginStage("pretrain"));
        Assert.Equal(0, run.CurrentStage);
        clock.Advance(TimeSpan.FromSeconds(10));
        run.EndStage();
        Assert.Null(run.CurrentStage);
        Assert.Equal(1, run.BeginStage("optimise", "ppo-1"));
        clock.Advance(TimeSpan.FromSeconds(5));
        run.EndStage(RunStatus.Failed, "diverged\nat step 7");
        clock.Advance(TimeSpan.FromSeconds(1));
        run.End(RunStatus.Failed, "stage ppo-1 failed");
        Assert.True(run.IsEnded);

        var details = store.GetRun(run.RunId)!;
        var info = details.Run;
        Assert.Equal("quickstart", info.Name);
        Assert.Equal(RunKind.Pipeline, info.Kind);
        Assert.Null(info.CompareId);
        Assert.Equal(42, info.Seed);
        Assert.Equal(manifest, info.ManifestJson);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest))), info.ManifestSha256);
        Assert.Equal(RunStatus.Failed, info.Status);
        Assert.Equal("stage ppo-1 failed", info.Error);
        Assert.Equal(T0, info.StartedUtc);
        Assert.Equal(T0.AddSeconds(18), info.EndedUtc);
        Assert.Equal(Environment.ProcessId, info.ProcessId);
        Assert.Equal(Environment.MachineName, info.Host);
        Assert.Equal((1, 2, 3), (info.StagesCompleted, info.StagesRecorded, info.StagesTotal));

        Assert.Equal(
            [
                new StageInfo(0, "pretrain", "pretrain", RunStatus.Completed, null, T0.AddSeconds(2), T0.AddSeconds(12)),
                new StageInfo(1, "optimise", "ppo-1", RunStatus.Failed, "diverged\nat step 7", T0.AddSeconds(12), T0.AddSeconds(17)),
            ],
            details.Stages);
    }

    [Fact]
    public void EndingARunWhileAStageRunsEndsTheStageTheSameWay()
    {
        using var store = Open();
        var run = store.BeginRun(new NewRun("r", 1, "{}"));
        run.BeginStage("optimise");
        run.End(RunStatus.Cancelled, "Ctrl+C");
        var stage = Assert.Single(store.GetRun(run.RunId)!.Stages);
        Assert.Equal((RunStatus.Cancelled, "Ctrl+C"), (stage.Status, stage.Error));
        Assert.Throws<InvalidOperationException>(() => run.LogMetric("x", 0, 1));
        Assert.Throws<InvalidOperationException>(() => run.End(RunStatus.Completed));
    }

    [Fact]
    public void StagesMustNotOverlap()
    {
        using var store = Open();
        using var run = store.BeginRun(new NewRun("r", 1, "{}"));
        Assert.Throws<InvalidOperationException>(() => run.EndStage());
        run.BeginStage("a");
        Assert.Throws<InvalidOperationException>(() => run.BeginStage("b"));
        Assert.Throws<ArgumentException>(() => run.EndStage(RunStatus.Running));
    }

    [Fact]
    public void MetricValuesRoundTripWithTheirStagesIncludingNonFiniteValues()
    {
        using var store = Open();
        var run = store.BeginRun(new NewRun("r", 1, "{}"));
        run.LogMetric("setup/seconds", 0, 0.25); // before any stage: run-level
        run.BeginStage("pretrain");
        run.LogMetric("loss", 0, 2.5);
        run.LogMetric("loss", 1, double.NaN);
        run.LogMetric("loss", 2, double.PositiveInfinity);
        run.LogMetric("loss", 3, double.NegativeInfinity);
        run.LogMetric("loss", long.MaxValue, double.Epsilon);
        run.EndStage();
        run.BeginStage("optimise");
        run.LogMetric("loss", 0, 1e-300);
        run.LogMetric("loss", 0, -7); // same step twice: both kept, in logging order
        run.EndStage();
        run.LogMetric("final/score", 9, 0.75);
        run.End(RunStatus.Completed);

        Assert.Equal(
            [
                new MetricPoint(0, 0, 2.5), new MetricPoint(0, 1, double.NaN), new MetricPoint(0, 2, double.PositiveInfinity),
                new MetricPoint(0, 3, double.NegativeInfinity), new MetricPoint(0, long.MaxValue, double.Epsilon),
                new MetricPoint(1, 0, 1e-300), new MetricPoint(1, 0, -7),
            ],
            store.GetMetricSeries(run.RunId, "loss"));
        Assert.Equal([new MetricPoint(null, 0, 0.25)], store.GetMetricSeries(run.RunId, "setup/seconds"));
        Assert.Empty(store.GetMetricSeries(run.RunId, "nope"));

        var all = store.GetMetrics(run.RunId);
        Assert.Equal([(0, "loss"), (1, "loss"), (null, "final/score"), (null, "setup/seconds")],
            all.Select(s => (s.StageIndex, s.Name)).ToArray());

        var summaries = store.GetMetricSummaries(run.RunId);
        var first = summaries[0];
        Assert.Equal((0, "loss", 5L, long.MaxValue), (first.StageIndex, first.Name, first.Points, first.LastStep));
        Assert.Equal(double.Epsilon, first.Last);
        Assert.Equal(double.NegativeInfinity, first.Min); // NaN ignored
        Assert.Equal(double.PositiveInfinity, first.Max);
        var second = summaries[1];
        Assert.Equal((1, 2L, -7.0, -7.0, 1e-300), (second.StageIndex, second.Points, second.Last, second.Min, second.Max));
    }

    [Fact]
    public void MetricsAreWrittenWhenTheRowThresholdIsReachedAndOnFlush()
    {
        using var store = Open(flushRows: 10);
        using var run = store.BeginRun(new NewRun("r", 1, "{}"));
        run.BeginStage("s");
        for (var i = 0; i < 25; i++)
            run.LogMetric("m", i, i);
        Assert.Equal(20L, StoreTestSupport.Scalar(folder.DatabasePath, "SELECT COUNT(*) FROM metric_points;"));
        run.Flush();
        Assert.Equal(25L, StoreTestSupport.Scalar(folder.DatabasePath, "SELECT COUNT(*) FROM metric_points;"));
    }

    [Fact]
    public void MetricsAreWrittenWhenTheFlushIntervalPasses()
    {
        using var store = Open();
        using var run = store.BeginRun(new NewRun("r", 1, "{}"));
        run.BeginStage("s");
        run.LogMetric("m", 0, 1);
        run.LogMetric("m", 1, 2);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0L, StoreTestSupport.Scalar(folder.DatabasePath, "SELECT COUNT(*) FROM metric_points;"));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2L, StoreTestSupport.Scalar(folder.DatabasePath, "SELECT COUNT(*) FROM metric_points;"));
    }

    [Fact]
    public void AHundredThousandMetricValuesAreAllStoredExactly()
    {
        const int rows = 100_000;
        string[] names = ["objective/kl", "objective/entropy", "loss/policy_avg", "loss/value_avg", "gold/reward"];
        using var store = Open();
        var run = store.BeginRun(new NewRun("bulk", 1, "{}"));
        run.BeginStage("optimise");
        for (var i = 0; i < rows; i++)
            run.LogMetric(names[i % names.Length], i / names.Length, Math.Sqrt(i));
        run.End(RunStatus.Completed);

        var series = store.GetMetrics(run.RunId);
        Assert.Equal(names.Order(StringComparer.Ordinal), series.Select(s => s.Name));
        foreach (var s in series)
        {
            var offset = Array.IndexOf(names, s.Name);
            Assert.Equal(Enumerable.Range(0, rows / names.Length).Select(i => (long)i), s.Steps);
            Assert.Equal(Enumerable.Range(0, rows / names.Length).Select(i => Math.Sqrt(i * names.Length + offset)), s.Values);
        }
        Assert.Equal(5L, StoreTestSupport.Scalar(folder.DatabasePath, "SELECT COUNT(*) FROM metric_series;"));
    }

    [Fact]
    public void MetricsFromATrainingThreadAndRecordsFromTheRunnerThreadDoNotInterfere()
    {
        using var store = Open(flushRows: 97);
        var run = store.BeginRun(new NewRun("r", 1, "{}"));
        run.BeginStage("optimise");
        var trainer = new Thread(() =>
        {
            for (var i = 0; i < 20_000; i++)
                run.LogMetric("objective/kl", i, i * 0.5);
        });
        trainer.Start();
        for (var i = 0; i < 200; i++)
        {
            run.AddFeedback(new FeedbackEntry("simulated-human", $"a{i % 3}", "pairwise", $$"""{"i":{{i}}}""", 1, null, null));
            if (i % 50 == 0)
                run.Flush();
        }
        trainer.Join();
        run.End(RunStatus.Completed);

        var points = store.GetMetricSeries(run.RunId, "objective/kl");
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => new MetricPoint(0, i, i * 0.5)), points);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $$"""{"i":{{i}}}"""), store.GetFeedback(run.RunId).Select(f => f.PayloadJson));
    }

    [Fact]
    public void FeedbackRecordsRoundTripWithProvenanceAndStage()
    {
        using var store = Open();
        var run = store.BeginRun(new NewRun("r", 1, "{}"));
        run.AddFeedback(new FeedbackEntry("rule", null, "rating", "3", 0, null, null));
        run.BeginStage("collect-feedback");
        FeedbackEntry[] batch =
        [
            new("simulated-human", "persona-2", "pairwise", """{"chosen":0,"rejected":1}""", 1.5, TimeSpan.FromMilliseconds(1234.5), 0.8),
            new("debate-judge", null, "critique", """{"text":"too long, \"hedges\""}""", 0.01, null, null),
        ];
        run.AddFeedback(batch);
        run.End(RunStatus.Completed);

        var stored = store.GetFeedback(run.RunId);
        Assert.Equal(
            [
                new FeedbackEntry("rule", null, "rating", "3", 0, null, null),
                batch[0] with { StageIndex = 0 },
                batch[1] with { StageIndex = 0 },
            ],
            stored);
        Assert.Equal([batch[0] with { StageIndex = 0 }, batch[1] with { StageIndex = 0 }], store.GetFeedback(run.RunId, 0));
        Assert.Equal(
            [new FeedbackCount(0, "debate-judge", "critique", 1, 0.01), new FeedbackCount(0, "simulated-human", "pairwise", 1, 1.5),
             new FeedbackCount(null, "rule", "rating", 1, 0)],
            store.GetFeedbackCounts(run.RunId));
    }

    [Fact]
    public void ABatchWithAnInvalidPayloadIsRefusedWhole()
    {
        using var store = Open();
        using var run = store.BeginRun(new NewRun("r", 1, "{}"));
        Assert.Throws<SqliteException>(() => run.AddFeedback(
            [new FeedbackEntry("s", null, "rating", "{}", 1, null, null), new FeedbackEntry("s", null, "rating", "{not json", 1, null, null)]));
        Assert.Empty(store.GetFeedback(run.RunId));
    }

    [Fact]
    public void TranscriptsRoundTrip()
    {
        using var store = Open();
        var run = store.BeginRun(new NewRun("r", 1, "{}"));
        run.BeginStage("oversee");
        run.AddTranscript(new TranscriptEntry("debate", """{"turns":["A says","B says"],"verdict":"A"}"""));
        run.AddTranscript(new TranscriptEntry("debate", """{"turns":[]}"""));
        run.EndStage();
        run.AddTranscript(new TranscriptEntry("critique", "[]"));
        run.End(RunStatus.Completed);

        Assert.Equal(
            [
                new TranscriptEntry("debate", """{"turns":["A says","B says"],"verdict":"A"}""") { StageIndex = 0 },
                new TranscriptEntry("debate", """{"turns":[]}""") { StageIndex = 0 },
                new TranscriptEntry("critique", "[]"),
            ],
            store.GetTranscripts(run.RunId));
        Assert.Single(store.GetTranscripts(run.RunId), t => t.StageIndex is null);
        Assert.Equal([new TranscriptCount(0, "debate", 2), new TranscriptCount(null, "critique", 1)], store.GetTranscriptCounts(run.RunId));
    }

    [Fact]
    public void ArtifactsAreIndexedWithSizeAndHashAndReindexedWhenRewritten()
    {
        using var store = Open();
        var run = store.BeginRun(new NewRun("r", 1, "{}"));
        run.BeginStage("pretrain");
        var path = run.GetPath("stage-0/policy.bin");
        Assert.Equal(Path.Combine(run.Folder, "stage-0", "policy.bin"), path);
        File.WriteAllBytes(path, [1, 2, 3]);
        var entry = run.AddArtifact("policy", "checkpoint", "stage-0/policy.bin");
        Assert.Equal(new ArtifactEntry(0, "policy", "checkpoint", "stage-0/policy.bin", 3, Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3 }))), entry);
        run.EndStage();

        File.WriteAllText(path, "rewritten");
        run.AddArtifact("policy", "checkpoint", "stage-0/./policy.bin");
        Assert.Throws<ArgumentException>(() => run.AddArtifact("x", "y", "../escape.txt"));
        Assert.Throws<ArgumentException>(() => run.GetPath("/etc/passwd"));
        run.End(RunStatus.Completed);

        var stored = Assert.Single(store.GetArtifacts(run.RunId));
        Assert.Equal(new ArtifactEntry(null, "policy", "checkpoint", "stage-0/policy.bin", 9, Convert.ToHexStringLower(SHA256.HashData("rewritten"u8))), stored);
    }

    [Fact]
    public void ComparesHoldTheirArmRuns()
    {
        using var store = Open();
        var compare = store.BeginCompare("rlhf-vs-debate", """{"arms":[]}""");
        Assert.Equal(RunStatus.Running, compare.Status);
        var ids = new List<string>();
        foreach (var arm in new[] { "rlhf", "debate" })
        {
            using var run = store.BeginRun(new NewRun("rlhf-vs-debate", 3, "{}") { CompareId = compare.Id, Arm = arm });
            clock.Advance(TimeSpan.FromSeconds(1));
            run.End(RunStatus.Completed);
            ids.Add(run.RunId);
        }
        store.EndCompare(compare.Id, RunStatus.Completed);

        var arms = store.ListCompareRuns(compare.Id);
        Assert.Equal(ids, arms.Select(a => a.Id));
        Assert.All(arms, a => Assert.Equal((RunKind.CompareArm, compare.Id), (a.Kind, a.CompareId)));
        Assert.Equal(["rlhf", "debate"], arms.Select(a => a.Arm));
        var stored = Assert.Single(store.ListCompares());
        Assert.Equal((compare.Id, RunStatus.Completed, T0.AddSeconds(2)), (stored.Id, stored.Status, stored.EndedUtc));

        Assert.Throws<SqliteException>(() => store.BeginRun(new NewRun("x", 1, "{}") { CompareId = "no-such-compare", Arm = "a" }));
        Assert.Throws<ArgumentException>(() => store.BeginRun(new NewRun("x", 1, "{}") { Arm = "a" }));
        Assert.Throws<RunStoreException>(() => store.EndCompare("no-such-compare", RunStatus.Failed));
    }

    [Fact]
    public void RunsAreListedNewestFirstAndFoundByUniquePrefix()
    {
        var ids = new Queue<string>(["20250314-101500-aaaaaa", "20250314-101501-aaaabb", "20250314-101502-bbbbbb"]);
        using var store = RunStore.Open(folder.DatabasePath, new RunStoreOptions { Clock = clock, NewId = _ => ids.Dequeue() });
        foreach (var _ in Enumerable.Range(0, 3))
        {
            using var run = store.BeginRun(new NewRun("r", 1, "{}"));
            run.End(RunStatus.Completed);
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(["20250314-101502-bbbbbb", "20250314-101501-aaaabb", "20250314-101500-aaaaaa"], store.ListRuns().Select(r => r.Id));
        Assert.Equal(["20250314-101502-bbbbbb"], store.ListRuns(limit: 1).Select(r => r.Id));

        Assert.Equal("20250314-101500-aaaaaa", store.ResolveRunId("20250314-101500-aaaaaa"));
        Assert.Equal("20250314-101502-bbbbbb", store.ResolveRunId("20250314-101502"));
        Assert.Equal("20250314-101501-aaaabb", store.ResolveRunId(" 20250314-101501 "));
        var ambiguous = Assert.Throws<RunStoreException>(() => store.ResolveRunId("20250314-1015"));
        Assert.Contains("matches more than one run", ambiguous.Message);
        var unknown = Assert.Throws<RunStoreException>(() => store.ResolveRunId("2024"));
        Assert.Contains("No run has the id '2024'", unknown.Message);
        Assert.Null(store.GetRun("20250314"));
    }

    [Fact]
    public void RunIdsSortByStartTime()
    {
        var earlier = RunIds.NewId(T0);
        var later = RunIds.NewId(T0.AddSeconds(1));
        Assert.Matches("^20250314-101500-[0-9a-hjkmnp-tv-z]{6}$", earlier);
        Assert.True(string.CompareOrdinal(earlier, later) < 0);
        Assert.Equal(RunIds.Deterministic(5)(T0), RunIds.Deterministic(5)(T0));
    }

    [Fact]
    public void ARecorderDisposedWithoutEndingLeavesAnIncompleteRunWithItsMetrics()
    {
        string id;
        using (var store = Open())
        {
            var run = store.BeginRun(new NewRun("r", 1, "{}"));
            id = run.RunId;
            run.BeginStage("s");
            run.LogMetric("m", 0, 1);
            // the store is disposed with the recorder still open
        }
        using (var store = Open())
        {
            var details = store.GetRun(id)!;
            Assert.Equal(RunStatus.Incomplete, details.Run.Status);
            Assert.Equal(RunStatus.Incomplete, details.Stages[0].Status);
            Assert.Equal([new MetricPoint(0, 0, 1)], store.GetMetricSeries(id, "m"));
        }
    }

    [Fact]
    public void OpeningMarksRunsOfDeadProcessesIncompleteAndLeavesLiveOnesAlone()
    {
        var deadPid = ExitedProcessId();
        var me = ProcessIdentity.Current;
        string dead, live, elsewhere, reused;
        using (var store = Open(process: me with { Pid = deadPid }))
        {
            var run = store.BeginRun(new NewRun("dead", 1, "{}"));
            dead = run.RunId;
            run.BeginStage("pretrain");
            run.LogMetric("loss", 0, 1);
            run.EndStage();
            run.BeginStage("optimise");
            run.LogMetric("kl", 0, 0.5);
            run.Flush();
            run.LogMetric("kl", 1, 0.6); // never flushed: lost with the process
            store.BeginCompare("dead-compare", "{}");
            SimulateCrash(store);
        }
        IReadOnlyList<string> recoveredBySecondOpen;
        using (var store = Open())
        {
            recoveredBySecondOpen = store.RecoveredRunIds;
            live = store.BeginRun(new NewRun("live", 1, "{}")).RunId;
            SimulateCrash(store);
        }
        using (var store = Open(process: me with { Host = "another-machine", Pid = deadPid }))
        {
            elsewhere = store.BeginRun(new NewRun("elsewhere", 1, "{}")).RunId;
            SimulateCrash(store);
        }
        using (var store = Open(process: me with { StartedUtc = me.StartedUtc!.Value.AddMinutes(-5) }))
        {
            reused = store.BeginRun(new NewRun("pid reused", 1, "{}")).RunId; // same pid, an earlier process
            SimulateCrash(store);
        }

        using (var store = Open())
        {
            Assert.Equal([dead], recoveredBySecondOpen);
            Assert.Equal([reused], store.RecoveredRunIds); // each abandoned run is found once
            var details = store.GetRun(dead)!;
            Assert.Equal(RunStatus.Incomplete, details.Run.Status);
            Assert.Contains($"Process {deadPid} on {me.Host} stopped without ending it", details.Run.Error);
            Assert.Null(details.Run.EndedUtc);
            Assert.Equal([RunStatus.Completed, RunStatus.Incomplete], details.Stages.Select(s => s.Status));
            Assert.Equal([new MetricPoint(0, 0, 1)], store.GetMetricSeries(dead, "loss"));
            Assert.Equal([new MetricPoint(1, 0, 0.5)], store.GetMetricSeries(dead, "kl"));
            Assert.Equal(RunStatus.Incomplete, store.ListCompares().Single().Status);

            Assert.Equal(RunStatus.Running, store.GetRun(live)!.Run.Status);
            Assert.Equal(RunStatus.Running, store.GetRun(elsewhere)!.Run.Status);
            Assert.Equal(RunStatus.Incomplete, store.GetRun(reused)!.Run.Status);
        }
    }

    /// <summary>Closes the database without ending anything, as a killed process would.</summary>
    private static void SimulateCrash(RunStore store) => store.Abandon();

    private static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.Id;
    }
}
