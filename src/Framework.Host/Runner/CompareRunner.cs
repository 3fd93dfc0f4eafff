using System.Globalization;
using System.Text;
using AlignFx.Abstractions.Runs;
using AlignFx.Evaluation;
using AlignFx.Host.Manifests;
using AlignFx.Host.Store;

namespace AlignFx.Host.Runner;

/// <summary>One cell of a compare's summary: a metric's final values over seeds for one arm.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Metric">The metric's name.</param>
/// <param name="Values">The final value of each seed's run, in seed order.</param>
/// <param name="Summary">Their mean and 95% interval.</param>
public sealed record CompareCell(string Arm, string Metric, IReadOnlyList<double> Values, MeanWithInterval Summary);

/// <summary>One arm's difference to the baseline arm on one metric, tested over seeds.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Baseline">The baseline arm.</param>
/// <param name="Metric">The metric's name.</param>
/// <param name="Paired">The paired t-test over seeds (seed i of both arms shares its seed streams): the mean difference arm − baseline and its p-value.</param>
/// <param name="Welch">Welch's unpaired t-test on the same values, for readers who treat seeds as unrelated.</param>
public sealed record CompareDifference(string Arm, string Baseline, string Metric, TestResult Paired, TestResult Welch);

/// <summary>What a compare produced.</summary>
/// <param name="CompareId">The compare's id in the store.</param>
/// <param name="Status">Completed unless an arm failed or the compare was cancelled.</param>
/// <param name="Runs">Every arm × seed run.</param>
/// <param name="Cells">The summary, arm by arm, metric by metric.</param>
/// <param name="Folder">Where summary.md and summary.csv were written.</param>
public sealed record CompareOutcome(string CompareId, RunStatus Status, IReadOnlyList<RunOutcome> Runs, IReadOnlyList<CompareCell> Cells, string Folder)
{
    /// <summary>Every other arm against the baseline, metric by metric.</summary>
    public IReadOnlyList<CompareDifference> Differences { get; init; } = [];
}

/// <summary>
/// Runs every arm of a compare with every seed (arms × seeds, in manifest order), then summarises each reported
/// metric's final value per arm as a mean with a 95% confidence interval, printed and written as Markdown and CSV.
/// Budgets were matched across arms when the manifest was validated.
/// </summary>
public sealed class CompareRunner(PipelineRunner runner, RunStore store)
{
    /// <summary>
    /// How many runs go at once (<c>--jobs</c>); above 1 each run is a process started by <see cref="Launcher"/>.
    /// Runs are started arm by arm, seed by seed, and a run waits while another run of its seed is in flight, so an arm
    /// that shares a cached stage with an earlier arm finds it saved (more jobs than seeds leaves workers idle). The
    /// numbers are the same as with one job.
    /// </summary>
    public int Jobs { get; init; } = 1;

    /// <summary>Starts the runs in other processes when <see cref="Jobs"/> is above 1.</summary>
    public ICompareJobLauncher? Launcher { get; init; }

    /// <summary>Runs the compare; stops at the first cancelled run.</summary>
    public async Task<CompareOutcome> RunAsync(CompareManifest manifest, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var compare = store.BeginCompare(manifest.Name, manifest.ToCanonicalJson());
        var (runs, status) = Jobs > 1 && Launcher is not null
            ? await RunInProcessesAsync(manifest, compare.Id, Launcher, cancellation)
            : await RunHereAsync(manifest, compare.Id, cancellation);
        var byArm = manifest.Arms.ToDictionary(a => a.Name, a => runs.Where(r => r.Arm == a.Name).Select(r => r.Outcome).ToList());
        store.EndCompare(compare.Id, status, status == RunStatus.Completed ? null : "one or more arms did not complete");
        IReadOnlyList<CompareCell> cells = Summarise(manifest, byArm);
        IReadOnlyList<CompareDifference> differences = Differences(manifest.Baseline, cells);
        string folder = Path.Combine(store.RunsDirectory, "compares", compare.Id);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "summary.md"), ToMarkdown(manifest.Name, cells, differences));
        File.WriteAllText(Path.Combine(folder, "summary.csv"), ToCsv(cells));
        File.WriteAllText(Path.Combine(folder, "differences.csv"), ToCsv(differences));
        Reports.HostReports.WriteCompare(store, compare.Id);
        return new CompareOutcome(compare.Id, status, [.. runs.Select(r => r.Outcome)], cells, folder) { Differences = differences };
    }

    private async Task<(List<(string Arm, RunOutcome Outcome)> Runs, RunStatus Status)> RunHereAsync(
        CompareManifest manifest, string compareId, CancellationToken cancellation)
    {
        var runs = new List<(string, RunOutcome)>();
        var status = RunStatus.Completed;
        foreach (CompareArm arm in manifest.Arms)
        {
            foreach (int seed in manifest.Seeds)
            {
                RunOutcome outcome = await runner.RunAsync(arm.Pipeline, seed, new CompareMembership(compareId, arm.Name), cancellation);
                runs.Add((arm.Name, outcome));
                if (outcome.Status == RunStatus.Cancelled)
                {
                    return (runs, RunStatus.Cancelled);
                }
                if (outcome.Status != RunStatus.Completed)
                {
                    status = RunStatus.Failed;
                }
            }
        }
        return (runs, status);
    }

    /// <summary>
    /// <see cref="Jobs"/> workers take the runs in manifest order (arm by arm, seed by seed), never two of one seed at once;
    /// afterwards the runs are read
    /// back from the store, in the same order as <see cref="RunHereAsync"/> gives them.
    /// </summary>
    private async Task<(List<(string Arm, RunOutcome Outcome)> Runs, RunStatus Status)> RunInProcessesAsync(
        CompareManifest manifest, string compareId, ICompareJobLauncher launcher, CancellationToken cancellation)
    {
        var pending = new LinkedList<CompareJob>(
            manifest.Arms.SelectMany(a => manifest.Seeds.Select(seed => new CompareJob(compareId, a.Name, seed))));
        int workers = Math.Min(Jobs, pending.Count);
        var exitCodes = new System.Collections.Concurrent.ConcurrentDictionary<CompareJob, int>();
        var seedsInFlight = new HashSet<int>();
        var gate = new object();
        using var finished = new SemaphoreSlim(0);
        bool cancelled = false;
        // The next job in manifest order whose seed has no run in flight: a later arm's run of a seed waits for the
        // earlier one, so a stage they share (the pretrained base) is computed once and then restored from the stage
        // cache, not computed twice at once. Null: nothing can start now.
        CompareJob? Next(out bool none)
        {
            lock (gate)
            {
                none = pending.Count == 0;
                for (var node = pending.First; node is not null; node = node.Next)
                {
                    if (seedsInFlight.Add(node.Value.Seed))
                    {
                        pending.Remove(node);
                        return node.Value;
                    }
                }
                return null;
            }
        }
        async Task Work()
        {
            while (!cancellation.IsCancellationRequested)
            {
                CompareJob? job = Next(out bool none);
                if (none)
                {
                    return;
                }
                if (job is null)
                {
                    await finished.WaitAsync(cancellation).ConfigureAwait(false);
                    continue;
                }
                try
                {
                    exitCodes[job] = await launcher.RunAsync(job, cancellation).ConfigureAwait(false);
                }
                finally
                {
                    lock (gate)
                    {
                        seedsInFlight.Remove(job.Seed);
                    }
                    finished.Release(workers);
                }
            }
        }
        try
        {
            await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(Work, CancellationToken.None)));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            cancelled = true;
        }
        // A worker's run is found by its arm and seed; the latest one wins should a job have been retried by hand.
        var stored = store.ListCompareRuns(compareId).GroupBy(r => (r.Arm, r.Seed)).ToDictionary(g => g.Key, g => g.Last());
        var runs = new List<(string, RunOutcome)>();
        var status = cancelled ? RunStatus.Cancelled : RunStatus.Completed;
        foreach (CompareArm arm in manifest.Arms)
        {
            foreach (int seed in manifest.Seeds)
            {
                if (stored.TryGetValue((arm.Name, seed), out RunInfo? info))
                {
                    runs.Add((arm.Name, new RunOutcome(info.Id, info.Status, info.Error, new ArtifactBag())));
                    if (info.Status != RunStatus.Completed && status == RunStatus.Completed)
                    {
                        status = RunStatus.Failed;
                    }
                }
                else
                {
                    // The worker never began its run (it could not load the plugins, for one): its output said why.
                    int code = exitCodes.GetValueOrDefault(new CompareJob(compareId, arm.Name, seed), -1);
                    string message = cancelled
                        ? "cancelled before it started"
                        : $"its worker exited with code {code.ToString(CultureInfo.InvariantCulture)} without starting the run; its output above says why";
                    runs.Add((arm.Name, new RunOutcome($"(no run: {arm.Name} seed {seed.ToString(CultureInfo.InvariantCulture)})",
                        cancelled ? RunStatus.Cancelled : RunStatus.Failed, message, new ArtifactBag())));
                    if (!cancelled)
                    {
                        status = RunStatus.Failed;
                    }
                }
            }
        }
        return (runs, status);
    }

    private IReadOnlyList<CompareCell> Summarise(CompareManifest manifest, Dictionary<string, List<RunOutcome>> byArm)
    {
        // Runs of an arm are in seed order, as they were started.
        var finals = byArm.Values.SelectMany(r => r).ToDictionary(r => r.RunId, r => FinalValues(r.RunId));
        IEnumerable<string> metrics = manifest.ReportMetrics.Count > 0
            ? manifest.ReportMetrics
            : finals.Values.SelectMany(f => f.Keys).Distinct().Order(StringComparer.Ordinal);
        var cells = new List<CompareCell>();
        foreach (CompareArm arm in manifest.Arms)
        {
            List<RunOutcome> armRuns = byArm.GetValueOrDefault(arm.Name) ?? [];
            foreach (string metric in metrics)
            {
                double[] values = [.. armRuns.Select(r => finals[r.RunId].GetValueOrDefault(metric, double.NaN))];
                cells.Add(new CompareCell(arm.Name, metric, values, MeanWithInterval.Of(values)));
            }
        }
        return cells;
    }

    /// <summary>Each non-baseline arm against the baseline, per metric: paired over seeds (every arm runs the same seeds) and Welch.</summary>
    public static IReadOnlyList<CompareDifference> Differences(string baseline, IReadOnlyList<CompareCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var result = new List<CompareDifference>();
        foreach (var metric in cells.GroupBy(c => c.Metric))
        {
            CompareCell? reference = metric.FirstOrDefault(c => c.Arm == baseline);
            if (reference is null)
            {
                continue;
            }
            foreach (CompareCell cell in metric.Where(c => c.Arm != baseline))
            {
                // An arm stopped early (a cancelled compare) has fewer seeds: pair what both have.
                int n = Math.Min(cell.Values.Count, reference.Values.Count);
                result.Add(new CompareDifference(cell.Arm, baseline, metric.Key,
                    SignificanceTests.Paired([.. cell.Values.Take(n)], [.. reference.Values.Take(n)]),
                    SignificanceTests.Welch(cell.Values, reference.Values)));
            }
        }
        return result;
    }

    /// <summary>A metric's final value in a run: the last point of the last stage that logged it.</summary>
    private Dictionary<string, double> FinalValues(string runId)
    {
        var finals = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (MetricSeries series in store.GetMetrics(runId).OrderBy(s => s.StageIndex ?? -1))
        {
            if (series.Values.Count > 0)
            {
                finals[series.Name] = series.Values[^1];
            }
        }
        return finals;
    }

    /// <summary>The summary as a Markdown table: one row per metric, one column per arm.</summary>
    public static string ToMarkdown(string name, IReadOnlyList<CompareCell> cells, IReadOnlyList<CompareDifference>? differences = null)
    {
        var arms = cells.Select(c => c.Arm).Distinct().ToList();
        var sb = new StringBuilder();
        sb.Append("# Compare: ").Append(MarkdownText.Escape(name)).Append("\n\nFinal value per run; mean ± 95% confidence half-width over seeds (Student's t).\n\n");
        sb.Append("| metric | ").Append(string.Join(" | ", arms.Select(MarkdownText.Escape))).Append(" |\n");
        sb.Append("|---|").Append(string.Concat(arms.Select(_ => "---|"))).Append('\n');
        foreach (var row in cells.GroupBy(c => c.Metric))
        {
            sb.Append("| ").Append(MarkdownText.Escape(row.Key)).Append(" | ")
              .Append(string.Join(" | ", arms.Select(a => row.FirstOrDefault(c => c.Arm == a)?.Summary.ToString() ?? "n/a")))
              .Append(" |\n");
        }
        if (differences is { Count: > 0 })
        {
            var others = differences.Select(d => d.Arm).Distinct().ToList();
            sb.Append("\nDifference to the baseline arm '").Append(MarkdownText.Escape(differences[0].Baseline))
              .Append("' (arm − baseline, mean over seeds; p: paired two-sided t-test over seeds).\n\n");
            sb.Append("| metric | ").Append(string.Join(" | ", others.Select(MarkdownText.Escape))).Append(" |\n");
            sb.Append("|---|").Append(string.Concat(others.Select(_ => "---|"))).Append('\n');
            foreach (var row in differences.GroupBy(d => d.Metric))
            {
                sb.Append("| ").Append(MarkdownText.Escape(row.Key)).Append(" | ")
                  .Append(string.Join(" | ", others.Select(a => row.FirstOrDefault(d => d.Arm == a) is { } d ? Describe(d.Paired) : "n/a")))
                  .Append(" |\n");
            }
        }
        IReadOnlyList<string> missing = MetricsNoArmLogged(cells);
        if (missing.Count > 0)
        {
            sb.Append("\n**Not logged by any arm:** ").Append(string.Join(", ", missing.Select(MarkdownText.Escape)))
              .Append(" (a misspelt metric name in `report`, or a stage that did not run).\n");
        }
        return sb.ToString();
    }

    /// <summary>The report metrics that no run of any arm logged (every value missing), so a typo is not a silent n/a.</summary>
    public static IReadOnlyList<string> MetricsNoArmLogged(IReadOnlyList<CompareCell> cells) =>
        [.. cells.GroupBy(c => c.Metric).Where(g => g.All(c => c.Values.Count > 0 && c.Values.All(double.IsNaN))).Select(g => g.Key)];

    /// <summary>The summary as CSV: arm, metric, n, mean, ci95_half_width, then the per-seed values.</summary>
    public static string ToCsv(IReadOnlyList<CompareCell> cells)
    {
        var sb = new StringBuilder("arm,metric,n,mean,ci95_half_width,values\n");
        foreach (CompareCell c in cells)
        {
            sb.Append(Quote(c.Arm)).Append(',').Append(Quote(c.Metric)).Append(',')
              .Append(c.Summary.Count.ToString(CultureInfo.InvariantCulture)).Append(',')
              .Append(c.Summary.Mean.ToString("R", CultureInfo.InvariantCulture)).Append(',')
              .Append(c.Summary.HalfWidth.ToString("R", CultureInfo.InvariantCulture)).Append(',')
              .Append(Quote(string.Join(";", c.Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))))).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The differences as CSV: arm, baseline, metric, then the paired and the Welch test.</summary>
    public static string ToCsv(IReadOnlyList<CompareDifference> differences)
    {
        ArgumentNullException.ThrowIfNull(differences);
        var sb = new StringBuilder("arm,baseline,metric,difference,paired_t,paired_df,paired_p,welch_t,welch_df,welch_p\n");
        foreach (CompareDifference d in differences)
        {
            sb.Append(Quote(d.Arm)).Append(',').Append(Quote(d.Baseline)).Append(',').Append(Quote(d.Metric)).Append(',')
              .Append(string.Join(",", new[] { d.Paired.Difference, d.Paired.T, d.Paired.DegreesOfFreedom, d.Paired.PValue, d.Welch.T, d.Welch.DegreesOfFreedom, d.Welch.PValue }
                  .Select(v => v.ToString("R", CultureInfo.InvariantCulture))))
              .Append('\n');
        }
        return sb.ToString();
    }

    private static string Describe(TestResult test) =>
        double.IsNaN(test.PValue)
            ? MeanWithInterval.Format(test.Difference)
            : $"{(test.Difference > 0 ? "+" : "")}{MeanWithInterval.Format(test.Difference)} (p {test.PValue.ToString(test.PValue < 0.001 ? "0.0e0" : "0.000", CultureInfo.InvariantCulture)})";

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
