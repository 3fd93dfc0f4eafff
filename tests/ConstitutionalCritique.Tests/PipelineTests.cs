using System.Text.Json.Nodes;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Runs;
using AlignFx.Evaluation;
using AlignFx.Host.Manifests;

namespace AlignFx.ConstitutionalCritique.Tests;

/// <summary>
/// Constitutional AI end to end at a small size, with the gpt policy: SL-CAI (critique-revise, then sft on the
/// revisions) followed by RL-CAI (ai-feedback labels, principle agreement, a reward model, PPO), run once and shared.
/// </summary>
public sealed class ConstitutionalRun : IAsyncLifetime
{
    /// <summary>The pipeline (seed 1): small enough for about half a minute on two cores.</summary>
    public static JsonObject Manifest() => new()
    {
        ["name"] = "constitutional-small",
        ["seed"] = 1,
        ["task"] = JsonNode.Parse("""
            { "name": "arithmetic", "options": { "operators": "+", "hardFraction": 0, "hintRate": 0, "trainPrompts": 400, "testPrompts": 300,
              "corpus": { "examples": 3000, "easyCorrectRate": 0.4 } } }
            """),
        ["policy"] = JsonNode.Parse("""{ "name": "gpt", "options": { "layers": 2, "dModel": 48, "heads": 4, "context": 96, "valueHead": true } }"""),
        ["stages"] = new JsonArray(
            JsonNode.Parse("""{ "stage": "pretrain", "steps": 400, "batchSize": 32, "evaluateEvery": 100, "learningRate": 0.005 }"""),
            new JsonObject
            {
                ["stage"] = CaiComponents.CritiqueRevise,
                ["prompts"] = 800,
                ["rounds"] = 2,
                ["constitution"] = Constitutions.Only("wrong-steps", "no-overconfidence"),
                ["critic"] = JsonNode.Parse("""{ "name": "scripted", "options": { "recall": 1 } }"""),
            },
            JsonNode.Parse("""{ "stage": "sft", "epochs": 5, "learningRate": 0.003 }"""),
            JsonNode.Parse("""{ "stage": "evaluate", "id": "evaluate-sft", "maxPrompts": 300 }"""),
            new JsonObject
            {
                ["stage"] = "collect-feedback",
                ["labels"] = 200,
                ["source"] = new JsonObject
                {
                    ["name"] = CaiComponents.AiFeedback,
                    ["options"] = new JsonObject { ["constitution"] = Constitutions.Arithmetic(), ["model"] = JsonNode.Parse("""{ "name": "simulated-ai", "options": { "positionBias": 1 } }""") },
                },
            },
            new JsonObject { ["stage"] = CaiComponents.PrincipleAgreement },
            JsonNode.Parse("""{ "stage": "train-reward-model", "model": { "name": "bradley-terry", "options": { "epochs": 5 } } }"""),
            JsonNode.Parse("""{ "stage": "optimize", "optimizer": { "name": "ppo", "options": { "steps": 3, "learningRate": 0.001, "evaluateEvery": 3 } } }"""),
            JsonNode.Parse("""{ "stage": "evaluate", "id": "evaluate-rl", "maxPrompts": 100, "reward": "trained" }""")),
    };

    internal ExampleRun Run { get; } = new();

    public async ValueTask InitializeAsync() => await Run.RunAsync(Manifest(), TestCatalog.Instance, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync()
    {
        Run.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class PipelineTests(ConstitutionalRun fixture, ITestOutputHelper output) : IClassFixture<ConstitutionalRun>
{
    private const string BaseAccuracy = "eval/base/" + MetricNames.Gold.Accuracy, FinalAccuracy = "eval/final/" + MetricNames.Gold.Accuracy;

    [Fact]
    public void Fine_tuning_on_the_revisions_raises_gold_accuracy_over_the_base_policy()
    {
        // The first evaluate compares the policy before sft (the snapshot sft leaves as "base") with the fine-tuned one,
        // on the same 300 held-out prompts and sampling seed.
        double before = fixture.Run.Metric(BaseAccuracy)[0], after = fixture.Run.Metric(FinalAccuracy)[0];
        IReadOnlyList<double> revisions = fixture.Run.Metric(CaiMetrics.RevisionAccuracy);
        output.WriteLine($"revisions' accuracy by round {string.Join(" ", revisions.Select(a => a.ToString("F3")))}; held-out accuracy before sft {before:F3}, after {after:F3}");

        Assert.True(revisions[^1] > revisions[0] + 0.2, $"revisions {revisions[0]} -> {revisions[^1]}");
        Assert.True(after > before + 0.15, $"held-out gold accuracy {before} -> {after}");
    }

    [Fact]
    public void Rlaif_runs_through_the_reward_model_and_ppo_with_each_principles_agreement_measured()
    {
        var agreement = fixture.Run.Outcome.Artifacts.Get<EvaluationResults>(CaiKeys.AgreementResults).Metrics;
        foreach (var (name, value) in agreement)
        {
            output.WriteLine($"{name} {value:F3}");
        }
        FeedbackDataset labels = fixture.Run.Outcome.Artifacts.Get<FeedbackDataset>();

        Assert.Equal(200, labels.Records.Count);
        Assert.All(labels.Pairwise, l => Assert.Equal(CaiComponents.AiFeedback, l.Provenance.Source));
        Assert.Equal(200, agreement.Where(kv => kv.Key.StartsWith(CaiMetrics.PrincipleLabelsPrefix, StringComparison.Ordinal)).Sum(kv => kv.Value));
        Assert.All(agreement.Where(kv => kv.Key.StartsWith(CaiMetrics.PrincipleAgreementPrefix, StringComparison.Ordinal)), kv => Assert.InRange(kv.Value, 0.5, 1));
        Assert.Single(fixture.Run.Metric(CaiMetrics.PrincipleAgreementPrefix + "wrong-steps"));
        // PPO optimised against the reward model trained on AI labels, and the last evaluate measured it with that reward.
        Assert.NotEmpty(fixture.Run.Metric(MetricNames.Objective.Kl));
        Assert.Equal(2, fixture.Run.Metric(FinalAccuracy).Count);
        Assert.Single(fixture.Run.Metric("eval/final/" + MetricNames.Proxy.RewardMean));
    }

    [Fact]
    public void The_constitution_used_is_in_the_report_and_on_the_disclosure_card()
    {
        string runId = fixture.Run.Outcome.RunId;
        var contributions = fixture.Run.Store.GetArtifacts(runId).Where(a => a.Kind == ReportArtifactKinds.Contribution)
            .ToDictionary(a => a.RelativePath, a => ReportContributions.Read(File.ReadAllText(Path.Combine(fixture.Run.Store.GetRunFolder(runId), a.RelativePath))));

        // critique-revise's section lists the two principles it sampled from; ai-feedback states the whole constitution
        // through collect-feedback; principle-agreement shows the constitution and the agreement per principle.
        ReportSectionData revised = contributions["report/" + CaiKeys.RevisionContribution + ".json"].Sections.Single();
        Assert.Equal(["wrong-steps", "no-overconfidence"], revised.Tables.Single().Rows.Select(r => r[0]));
        DisclosureFact stated = contributions["report/feedback-source-ai-feedback.json"].Disclosure.Single();
        Assert.Equal((DisclosureGroups.HumanFeedback, ConstitutionReport.DisclosureItem), (stated.Group, stated.Item));
        Assert.Contains("check-the-guess (weight 1): Do not adopt the user's guess without checking it.", stated.Text, StringComparison.Ordinal);
        var agreement = contributions["report/" + CaiKeys.AgreementContribution + ".json"];
        Assert.Equal([ConstitutionReport.SectionTitle, "Per-principle agreement"], agreement.Sections.Select(s => s.Title));
        Assert.Equal(4, agreement.Sections[1].Tables.Single().Rows.Count);

        string html = File.ReadAllText(AlignFx.Host.Reports.HostReports.WriteRun(fixture.Run.Store, runId));
        Assert.Contains("Show the working for multi-step sums.", html, StringComparison.Ordinal);
        Assert.Contains("Constitution", html, StringComparison.Ordinal);
    }
}

/// <summary>The shipped examples bind against the built plugins.</summary>
public sealed class ExampleTests
{
    [Theory]
    [InlineData("constitutional-sl.json")]
    [InlineData("constitutional-rl.json")]
    [InlineData("constitutional-vs-rlhf.json")]
    [InlineData("constitutional-ai-feedback-biases.json")]
    public void The_example_is_a_valid_manifest(string file)
    {
        var errors = ManifestLoader.Validate(Path.Combine(AppContext.BaseDirectory, "examples", file), TestCatalog.Instance);
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors.Select(error => error.ToString())));
    }
}
