using AlignFx.Abstractions.Runs;
using AlignFx.Host.Reports;
using AlignFx.Host.Store;

namespace AlignFx.Reporting.Tests;

/// <summary>Plugins contribute data, not HTML: disclosure facts and sections saved by a stage reach the run's report.</summary>
public sealed class ContributionTests : IDisposable
{
    private readonly ReportWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    /// <summary>A stage's artifact store over the recorder, as the runner gives one to a stage.</summary>
    private sealed class RecorderFiles(RunRecorder recorder) : IArtifactStore
    {
        public string RunDirectory => recorder.Folder;

        public string GetPath(string relativePath) => recorder.GetPath(relativePath);

        public void Register(string relativePath, string kind, string? description = null) => recorder.AddArtifact(description ?? relativePath, kind, relativePath);
    }

    private const string Pipeline = """
        { "name": "by-hand", "seed": 1, "task": { "name": "arithmetic", "options": { "operators": "+-" } }, "policy": { "name": "gpt", "options": {} },
          "stages": [ { "stage": "train-reward-model", "id": "rm", "model": { "name": "bradley-terry", "options": {} } } ] }
        """;

    private (string RunId, string Html) RunWith(ReportContribution contribution)
    {
        using RunStore store = RunStore.Open(_workspace.StorePath);
        string runId;
        using (RunRecorder recorder = store.BeginRun(new NewRun("by-hand", 1, Pipeline)))
        {
            runId = recorder.RunId;
            recorder.BeginStage("train-reward-model", "rm");
            recorder.LogMetric(MetricNames.RewardModel.Loss, 0, 0.69);
            recorder.LogMetric(MetricNames.RewardModel.Loss, 1, 0.41);
            new RecorderFiles(recorder).Contribute("reward", contribution);
            recorder.EndStage();
            recorder.End(RunStatus.Completed);
        }
        return (runId, HostReports.Rebuild(store, runId).Html);
    }

    [Fact]
    public void A_fact_a_component_states_replaces_what_the_host_inferred_from_the_manifest()
    {
        var (_, html) = RunWith(new ReportContribution(
            [new DisclosureFact(DisclosureGroups.RewardModel, "Loss function", "Hinge loss with margin 1")], []));

        Assert.Contains("<dt>Loss function</dt><dd>Hinge loss with margin 1 (stated by the component)</dd>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("states no loss of its own", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_stated_fact_the_card_says_what_the_manifest_configured_and_names_no_loss_it_cannot_know()
    {
        var (_, html) = RunWith(new ReportContribution([], []));

        Assert.Contains("the reward model states no loss of its own", html, StringComparison.Ordinal);
        Assert.Contains("rm (train-reward-model) {&quot;model&quot;:{&quot;name&quot;:&quot;bradley-terry&quot;", html, StringComparison.Ordinal);
        Assert.Contains("final rm/loss 0.41", html, StringComparison.Ordinal);
        // Options read as written: "+-" is not a JSON escape sequence on the page (the HTML encoder writes + as &#x2B;).
        Assert.Contains("arithmetic {&quot;operators&quot;:&quot;&#x2B;-&quot;}", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_contributed_section_is_drawn_after_its_stage_with_its_table_chart_text_and_dialogue_and_new_groups_join_the_card()
    {
        var section = new ReportSectionData("Ensemble members", "Each member's validation accuracy.")
        {
            Tables = [new ReportTableData("Members", ["member", "accuracy"], [["0", "0.81"], ["1", "0.79"]])],
            Series = [new ReportSeriesData("member spread", "epoch", [0, 1, 2], [0.3, 0.2, 0.15])],
            Texts = ["member 0 disagrees with member 1 on 12% of pairs"],
            Dialogues = [new ReportDialogueData("A debate on 2+2=?", [new ReportDialogueTurn("debater-a", "I defend 4."), new ReportDialogueTurn("judge", "checks 2+2=4: true")]) { Outcome = "verdict: 4 (right)" }],
        };
        var (_, html) = RunWith(new ReportContribution([new DisclosureFact("Compute", "Hardware", "two CPU cores")], [section]));

        int stage = html.IndexOf("<h2>Stage rm (train-reward-model)</h2>", StringComparison.Ordinal);
        int contributed = html.IndexOf("<h2>rm: Ensemble members</h2>", StringComparison.Ordinal);
        Assert.True(stage >= 0 && contributed > stage, "the contributed section follows its stage's");
        Assert.Contains("<caption>Members</caption>", html, StringComparison.Ordinal);
        Assert.Contains("<td>1</td><td>0.79</td>", html, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"member spread\"", html, StringComparison.Ordinal);
        Assert.Contains(">epoch</text>", html, StringComparison.Ordinal);
        Assert.Contains("member 0 disagrees with member 1 on 12% of pairs", html, StringComparison.Ordinal);
        Assert.Contains("<h3>A debate on 2&#x2B;2=?</h3>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>judge</dt><dd>checks 2&#x2B;2=4: true</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<em>verdict: 4 (right)</em>", html, StringComparison.Ordinal);
        Assert.Contains("<h4>Compute</h4>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_contributed_chart_of_several_series_is_drawn_with_one_line_each_on_shared_axes()
    {
        var section = new ReportSectionData("Gold against sqrt(KL)", null)
        {
            Charts =
            [
                new ReportChartData("Gold accuracy against sqrt(KL)", "d = sqrt(KL)", "gold accuracy",
                [
                    new ReportSeriesData("checkable", "", [0, 0.5, 1], [0.5, 0.6, 0.7]),
                    new ReportSeriesData("uncheckable", "", [0, 0.5, 1], [0.3, 0.2, 0.1]),
                ]),
            ],
        };
        var (runId, html) = RunWith(new ReportContribution([], [section]));

        // Read back from the run's folder: the chart survives the JSON round trip.
        using (RunStore store = RunStore.Open(_workspace.StorePath))
        {
            string json = File.ReadAllText(Path.Combine(store.GetRunFolder(runId), "report", "reward.json"));
            ReportChartData chart = Assert.Single(ReportContributions.Read(json).Sections[0].Charts);
            Assert.Equal([0.3, 0.2, 0.1], chart.Series[1].Y);
        }
        int start = html.IndexOf("aria-label=\"Gold accuracy against sqrt(KL)\"", StringComparison.Ordinal);
        Assert.True(start >= 0, "the chart is on the page");
        string svg = html[start..html.IndexOf("</svg>", start, StringComparison.Ordinal)];
        Assert.Equal(2, svg.Split("<polyline", StringSplitOptions.None).Length - 1);
        Assert.Contains(">d = sqrt(KL)</text>", svg, StringComparison.Ordinal);
        Assert.Contains(">gold accuracy</text>", svg, StringComparison.Ordinal);
        Assert.Contains(">uncheckable</text>", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void A_contribution_name_that_is_not_a_plain_file_name_is_refused_with_the_rule()
    {
        var files = new RecorderFilesStub();

        var error = Assert.Throws<ArgumentException>(() => files.Contribute("../escape", new ReportContribution([], [])));

        Assert.Contains("letters, digits, '-', '_' and '.'", error.Message, StringComparison.Ordinal);
        Assert.Empty(files.Registered);
    }

    private sealed class RecorderFilesStub : IArtifactStore
    {
        public List<string> Registered { get; } = [];

        public string RunDirectory => Path.GetTempPath();

        public string GetPath(string relativePath) => throw new InvalidOperationException("not reached");

        public void Register(string relativePath, string kind, string? description = null) => Registered.Add(relativePath);
    }
}
