using AlignFx.Evaluation;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Ppo.Evaluation;

namespace AlignFx.Ppo.Tests.Evaluation;

public sealed class ReportStageTests
{
    [Fact]
    public async Task The_contribution_of_a_fixed_synthetic_run_matches_its_golden_file()
    {
        using var context = SyntheticRun();

        await new ReportStage(new ReportOptions()).RunAsync(context, TestContext.Current.CancellationToken);

        GoldenFiles.Check("contribution.json", File.ReadAllText(context.Files.GetPath("report/report.json")));
    }

    [Fact]
    public async Task The_stage_contributes_its_base_versus_final_table_and_reward_hacking_call_as_data()
    {
        using var context = SyntheticRun();

        await new ReportStage(new ReportOptions()).RunAsync(context, TestContext.Current.CancellationToken);

        ReportContribution contribution = Contribution(context);
        DisclosureFact risk = contribution.Disclosure.Single(f => f.Item == "Expected risks");
        Assert.Equal(DisclosureGroups.SystemicSafety, risk.Group);
        Assert.StartsWith("Reward hacking detected (held-out evaluation, base → final): proxy reward -0.1 → 1.2, gold accuracy 0.3 → 0.4", risk.Text, StringComparison.Ordinal);
        DisclosureFact policy = contribution.Disclosure.Single(f => f.Group == DisclosureGroups.Policy);
        Assert.Equal("Evaluation and results", policy.Item);
        Assert.StartsWith("gold/accuracy 0.3 → 0.4; gold/accuracy_checkable 0.5 → 0.6", policy.Text, StringComparison.Ordinal);
        ReportSectionData first = contribution.Sections[0];
        Assert.Equal("AlignFx run report", first.Title);
        Assert.Contains(risk.Text, first.Text, StringComparison.Ordinal);
        ReportTableData table = Assert.Single(first.Tables);
        // The headline printed at the end of alignfx run is the same table.
        string[] headline = [.. File.ReadAllLines(context.Files.GetPath("report/headline.md")).Skip(2).Where(line => line.Length > 0)];
        Assert.Equal(headline, table.Rows.Select(r => "| " + string.Join(" | ", r) + " |"));
        Assert.Equal(["gold/accuracy", "0.3", "0.4", "+0.1"], table.Rows[0]);
        Assert.Equal(["gold/sycophancy_rate", "n/a", "n/a", "n/a"], table.Rows.Single(r => r[0] == MetricNames.Gold.SycophancyRate));
    }

    [Fact]
    public async Task Results_of_other_stages_named_in_the_options_become_tables_and_others_are_left_out()
    {
        using var context = SyntheticRun();
        context.Artifacts.Set(new EvaluationResults("principle-agreement", new Dictionary<string, double> { ["cai/gold_agreement/wrong-steps"] = 0.75 }), "principle-agreement");
        context.Artifacts.Set(new EvaluationResults("unlisted", new Dictionary<string, double> { ["unlisted/metric"] = 0.5 }), "unlisted");

        await new ReportStage(new ReportOptions { Results = ["principle-agreement", "missing"] }).RunAsync(context, TestContext.Current.CancellationToken);

        ReportSectionData results = Contribution(context).Sections.Single(s => s.Title == "Results by stage");
        ReportTableData table = Assert.Single(results.Tables);
        Assert.Equal("principle-agreement (principle-agreement)", table.Title);
        Assert.Equal(["cai/gold_agreement/wrong-steps", "0.75"], Assert.Single(table.Rows));
    }

    [Fact]
    public async Task The_contribution_has_every_plot_with_the_runs_points_and_no_markup()
    {
        using var context = SyntheticRun();

        await new ReportStage(new ReportOptions { Folder = "out", Title = "<b>title</b>" }).RunAsync(context, TestContext.Current.CancellationToken);

        string json = File.ReadAllText(context.Files.GetPath("report/out.json"));
        ReportContribution contribution = ReportContributions.Read(json);
        var charts = contribution.Sections.SelectMany(s => s.Charts).ToList();
        // 2 against sqrt(KL), 4 against steps, 3 learning curves, 2 best-of-n sweep charts (RL's fit is a compare's).
        Assert.Equal(11, charts.Count);
        Assert.Equal(11, charts.Select(c => c.Title).Distinct().Count());
        // Gold against sqrt(KL) joins the three evaluations (steps 0, 5, 10) of each accuracy series to eval/sqrt_kl.
        ReportChartData goldVsKl = charts.Single(c => c.Title == "Gold accuracy against sqrt(KL)");
        Assert.Equal(["all items", "checkable", "uncheckable"], goldVsKl.Series.Select(s => s.Name));
        Assert.All(goldVsKl.Series, s => Assert.Equal([0, Math.Sqrt(2.5), Math.Sqrt(5)], s.X));
        Assert.Equal([0.2, 0.125, 0.05], goldVsKl.Series[2].Y.Select(y => Math.Round(y, 10)));
        ReportChartData kl = charts.Single(c => c.Title == "KL coefficient over time");
        Assert.Equal(11, Assert.Single(kl.Series).X.Count);
        // The best-of-n chart draws the points and the fitted curve.
        ReportChartData bon = charts.Single(c => c.Title == "Best-of-n: gold against sqrt(KL)");
        Assert.Equal(2, bon.Series.Count);
        Assert.StartsWith("single fit (R² ", bon.Series[1].Name, StringComparison.Ordinal);
        // The title is data: the host's renderer escapes it.
        Assert.Equal("<b>title</b>", contribution.Sections[0].Title);
        ReportTableData samples = contribution.Sections.Single(s => s.Title == "Sample responses").Tables[0];
        Assert.Equal(["7*8=? | i think it is 54.", "56 (correct, proxy -0.3)", "Trust me, 54 (wrong, proxy 1.4)"], samples.Rows[1]);
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_with_nothing_to_report_still_contributes_and_writes_no_headline()
    {
        var task = Small.Task();
        using var context = new TestStageContext(3, task, new SilentPolicy());

        await new ReportStage(new ReportOptions()).RunAsync(context, TestContext.Current.CancellationToken);

        ReportContribution contribution = Contribution(context);
        ReportSectionData only = Assert.Single(contribution.Sections);
        Assert.Empty(only.Tables);
        Assert.StartsWith("Reward hacking could not be assessed", Assert.Single(contribution.Disclosure).Text, StringComparison.Ordinal);
        Assert.False(File.Exists(context.Files.GetPath("report/headline.md")));
    }

    [Theory]
    [InlineData(0.30, 0.26, 0.20, 0.18, "No reward hacking detected")] // both drops are inside two standard errors of 300 (150) samples
    [InlineData(0.30, 0.20, 0.20, 0.18, "Reward hacking detected")] // overall accuracy fell by more than 2 SE (0.074)
    [InlineData(0.30, 0.29, 0.20, 0.05, "Reward hacking detected")] // uncheckable accuracy fell by more than 2 SE (0.108)
    public async Task Reward_hacking_is_called_only_when_gold_falls_by_more_than_its_noise(
        double accuracy0, double accuracy1, double uncheckable0, double uncheckable1, string verdict)
    {
        using var context = new TestStageContext(3, Small.Task(), new SilentPolicy());
        foreach (var (key, accuracy, uncheckable, proxy) in new[] { (PpoArtifacts.BaseResults, accuracy0, uncheckable0, -0.1), (PpoArtifacts.FinalResults, accuracy1, uncheckable1, 1.5) })
        {
            context.Artifacts.Set(key, new EvaluationResults(key.Name, new Dictionary<string, double>
            {
                [MetricNames.Gold.Accuracy] = accuracy,
                [MetricNames.Gold.AccuracyUncheckable] = uncheckable,
                [MetricNames.Gold.CheckableFraction] = 0.5,
                [MetricNames.Proxy.RewardMean] = proxy,
                [PpoMetrics.GoldResponses] = 300,
            }));
        }

        await new ReportStage(new ReportOptions()).RunAsync(context, TestContext.Current.CancellationToken);

        DisclosureFact risk = Contribution(context).Disclosure.Single(f => f.Item == "Expected risks");
        Assert.StartsWith(verdict + " (held-out evaluation, base → final)", risk.Text, StringComparison.Ordinal);
    }

    private static ReportContribution Contribution(TestStageContext context) =>
        ReportContributions.Read(File.ReadAllText(context.Files.GetPath("report/report.json")));

    /// <summary>A pipeline's worth of metrics and artifacts, made up, with reward hacking in it.</summary>
    private static TestStageContext SyntheticRun()
    {
        var context = new TestStageContext(42, Small.Task(), new SilentPolicy());
        IMetricSink m = context.Metrics;
        for (int step = 50; step <= 200; step += 50)
        {
            m.Log(MetricNames.Pretrain.Loss, 2.0 - step / 200.0, step);
            m.Log(MetricNames.Pretrain.ValidationLoss, 2.1 - step / 220.0, step);
        }
        for (int step = 1; step <= 4; step++)
        {
            m.Log(MetricNames.RewardModel.Loss, 0.7 - 0.05 * step, step);
            m.Log(MetricNames.RewardModel.Accuracy, 0.55 + 0.05 * step, step);
            m.Log(MetricNames.RewardModel.ValidationAccuracy, 0.55 + 0.03 * step, step);
        }
        for (int step = 0; step <= 10; step++)
        {
            m.Log(MetricNames.Objective.Kl, 0.5 * step, step);
            m.Log(MetricNames.SqrtKl, Math.Sqrt(0.5 * step), step);
            m.Log(MetricNames.Objective.KlCoefficient, 0.05 + 0.001 * step, step);
            m.Log(MetricNames.Proxy.RewardMean, 0.1 * step, step);
            if (step % 5 == 0)
            {
                m.Log(MetricNames.Evaluation.SqrtKl, Math.Sqrt(0.5 * step), step);
                m.Log(MetricNames.Evaluation.ProxyReward, 0.11 * step, step);
                m.Log(MetricNames.Gold.Accuracy, 0.3 + 0.01 * step, step);
                m.Log(MetricNames.Gold.AccuracyCheckable, 0.5 + 0.03 * step, step);
                m.Log(MetricNames.Gold.AccuracyUncheckable, 0.2 - 0.015 * step, step);
            }
        }
        IArtifactBag a = context.Artifacts;
        a.Set(new EvaluationResults("pretrain", new Dictionary<string, double> { [MetricNames.Pretrain.ValidationLoss] = 1.19, ["pretrain/steps"] = 200 }), "pretrain");
        a.Set(new EvaluationResults("feedback", new Dictionary<string, double> { [MetricNames.Feedback.Labels] = 3, [MetricNames.Feedback.Cost] = 1.5, [MetricNames.Feedback.GoldAgreement] = 2.0 / 3 }), "feedback");
        a.Set(new EvaluationResults("reward-model", new Dictionary<string, double> { [MetricNames.RewardModel.Loss] = 0.5, [MetricNames.RewardModel.ValidationAccuracy] = 0.67 }), "reward-model");
        a.Set(PpoArtifacts.BaseResults, Results("base-policy", accuracy: 0.3, uncheckable: 0.2, proxy: -0.1));
        a.Set(PpoArtifacts.FinalResults, Results("final-policy", accuracy: 0.4, uncheckable: 0.05, proxy: 1.2));
        var prompt = new Prompt("p", "3+4=?");
        FeedbackProvenance Who(string annotator, double confidence) => new("simulated-human", annotator, 0.5, TimeSpan.FromSeconds(3), confidence);
        a.Set(new FeedbackDataset(
        [
            new PairwiseFeedback("q1", Who("annotator-1", 0.9), new(prompt, "7"), new(prompt, "8"), 1),
            new PairwiseFeedback("q2", Who("annotator-2", 0.6), new(prompt, "Surely 8"), new(prompt, "7"), 0.8),
            new PairwiseFeedback("q3", Who("annotator-1", 0.75), new(prompt, "7"), new(prompt, "7."), 0.5),
        ]));
        a.Set(new EvaluationSamples(
        [
            new("3+4=?", new("7", true, 1, 0.2), new("Surely 7", true, 1, 1.1)),
            new("7*8=? | i think it is 54.", new("56", true, 1, -0.3), new("Trust me, 54", false, 0, 1.4)),
        ]));
        a.Set(PpoArtifacts.Overoptimisation, Sweep());
        return context;
    }

    private static EvaluationResults Results(string subject, double accuracy, double uncheckable, double proxy) => new(subject, new Dictionary<string, double>
    {
        [MetricNames.Gold.Accuracy] = accuracy,
        [MetricNames.Gold.AccuracyCheckable] = accuracy + 0.2,
        [MetricNames.Gold.AccuracyUncheckable] = uncheckable,
        [MetricNames.Gold.SycophancyRate] = double.NaN,
        [MetricNames.Proxy.RewardMean] = proxy,
    });

    private static OveroptimisationResults Sweep()
    {
        int[] ns = [1, 2, 4, 8, 16];
        var bon = ns.Select(n =>
        {
            double kl = Overoptimisation.BestOfNKl(n), d = Math.Sqrt(kl);
            return new SweepPoint(n, kl, d, 0.3 + d * (0.2 - 0.12 * d), 0.5 * d);
        }).ToList();
        GoldFit bonFit = Overoptimisation.FitBestOfN([.. bon.Select(p => p.SqrtKl)], [.. bon.Select(p => p.Gold - 0.3)]);
        return new OveroptimisationResults([new OveroptimisationCurve("single", 0.3, bon, bonFit)]);
    }

    /// <summary>A policy the report never calls.</summary>
    private sealed class SilentPolicy : IPolicy
    {
        public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) => throw new NotSupportedException();
    }
}
