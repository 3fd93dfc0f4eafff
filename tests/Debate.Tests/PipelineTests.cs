using System.Text.Json;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;
using AlignFx.Host.Store;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Debate.Tests;

/// <summary>The protocols in runs of the host: as feedback sources in collect-feedback, in the oversee stage, in the examples.</summary>
public sealed class PipelineTests
{
    private static readonly Lazy<IComponentCatalog> Catalog = new(() => new TestCatalog(BuiltPlugins.Load("Tasks", "Feedback", "Debate"),
        new ComponentDescriptor(ComponentKinds.Policy, "scripted", typeof(CorpusPolicy), typeof(NoOptions), "the pretraining corpus's behaviour") { Plugin = "Debate.Tests" }));

    /// <summary>A pipeline that labels corpus-like responses with <paramref name="source"/> (judge limit 2) and measures the labels.</summary>
    private static JsonObject LabelPipeline(string source) => JsonNode.Parse($$"""
        {
          "name": "debate-labels-small", "seed": 7,
          "task": { "name": "arithmetic", "options": { "operators": "+-", "hardDigits": 1, "hardOperations": 3, "trainPrompts": 300, "corpus": { "hardCorrectRate": 0.5 } } },
          "policy": "scripted",
          "stages": [
            { "stage": "collect-feedback", "labels": 400,
              "source": { "name": "{{source}}", "options": { "judge": { "verificationLimit": 2, "confidenceBias": 1, "sycophancy": 1 } } } },
            { "stage": "label-agreement", "verificationLimit": 2 },
          ],
        }
        """, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true })!.AsObject();

    [Fact]
    public async Task Debate_labels_agree_with_gold_more_than_the_same_judge_alone_on_items_it_cannot_check()
    {
        using var debate = new ExampleRun();
        using var alone = new ExampleRun();
        await debate.RunAsync(LabelPipeline(DebateNames.Debate), Catalog.Value, TestContext.Current.CancellationToken);
        await alone.RunAsync(LabelPipeline(DebateNames.Direct), Catalog.Value, TestContext.Current.CancellationToken);

        double debateHard = debate.Metric(LabelMetrics.AgreementUncheckable).Single();
        double aloneHard = alone.Metric(LabelMetrics.AgreementUncheckable).Single();
        Assert.True(debateHard >= 0.9 && debateHard - aloneHard > 0.25, $"debate {debateHard}, judge alone {aloneHard}");
        // Where the judge can check the answers alone, both are right.
        Assert.True(debate.Metric(LabelMetrics.AgreementCheckable).Single() > 0.9 && alone.Metric(LabelMetrics.AgreementCheckable).Single() > 0.9);
        Assert.InRange(debate.Metric(LabelMetrics.UncheckableFraction).Single(), 0.2, 0.8);

        // The labels carry the debates and their cost; the store keeps the transcripts.
        var labels = debate.Outcome.Artifacts.Get<FeedbackDataset>().Pairwise.ToList();
        Assert.Equal(400, labels.Count);
        Assert.All(labels, l => Assert.Equal(DebateNames.Debate, l.Provenance.Source));
        Assert.Contains(labels, l => l.Transcript!.Any(t => t.Speaker == Speakers.DebaterA) && l.Provenance.Cost > 3);
        Assert.Contains(debate.Store.GetFeedback(debate.Outcome.RunId), f => f.PayloadJson.Contains(Speakers.DebaterB, StringComparison.Ordinal));
        // Every debated label is an oversight transcript of the run (the budget counts them, the report shows some).
        Assert.Equal([new TranscriptCount(0, DebateNames.Debate, 400)], debate.Store.GetTranscriptCounts(debate.Outcome.RunId));
        Assert.Contains(debate.Store.GetTranscripts(debate.Outcome.RunId), t => t.PayloadJson.Contains(Speakers.DebaterA, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_oversee_stage_in_a_run_logs_its_metrics_and_stores_the_transcripts_as_an_artifact()
    {
        JsonObject manifest = JsonNode.Parse("""
            {
              "name": "oversee-small", "seed": 3,
              "task": { "name": "arithmetic", "options": { "operators": "+-", "hardDigits": 2, "hardOperations": 3, "testPrompts": 40 } },
              "policy": "scripted",
              "stages": [ { "stage": "oversee", "items": 30, "method": "debate" } ]
            }
            """)!.AsObject();
        using var run = new ExampleRun();

        await run.RunAsync(manifest, Catalog.Value, TestContext.Current.CancellationToken);

        Assert.Single(run.Metric(OversightMetrics.Accuracy));
        Assert.Single(run.Metric(OversightMetrics.EloHonest));
        var artifact = Assert.Single(run.Store.GetArtifacts(run.Outcome.RunId), a => a.Kind == OverseeStage.TranscriptsKind);
        string[] lines = File.ReadAllLines(Path.Combine(run.Store.GetRunFolder(run.Outcome.RunId), artifact.RelativePath));
        Assert.Equal(30, lines.Length);
        JsonElement first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(2, first.GetProperty("candidates").GetArrayLength());
        Assert.Contains(first.GetProperty("transcript").EnumerateArray(), t => t.GetProperty("speaker").GetString() == Speakers.Judge);
        // The store keeps the same transcripts, line for line, for the report and the budget.
        Assert.Equal(lines, run.Store.GetTranscripts(run.Outcome.RunId).Select(t => t.PayloadJson));
        Assert.Equal([new TranscriptCount(0, DebateNames.Debate, 30)], run.Store.GetTranscriptCounts(run.Outcome.RunId));

        // The report shows a sample as dialogues: four items, turn by turn, right and wrong verdicts both where both occur.
        var contribution = Assert.Single(run.Store.GetArtifacts(run.Outcome.RunId), a => a.Kind == ReportArtifactKinds.Contribution);
        ReportContribution data = ReportContributions.Read(File.ReadAllText(Path.Combine(run.Store.GetRunFolder(run.Outcome.RunId), contribution.RelativePath)));
        var dialogues = Assert.Single(data.Sections).Dialogues;
        Assert.Equal(4, dialogues.Count);
        Assert.All(dialogues, d => Assert.Contains(d.Turns, t => t.Speaker == Speakers.DebaterA));
        Assert.All(dialogues, d => Assert.StartsWith("verdict: candidate ", d.Outcome, StringComparison.Ordinal));
        int wrong = lines.Count(l => !JsonDocument.Parse(l).RootElement.GetProperty("correct").GetBoolean());
        Assert.Equal(Math.Min(2, wrong), dialogues.Count(d => d.Outcome!.Contains("(wrong", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("debate.json")]
    [InlineData("debate-labels.json")]
    public void The_example_is_a_valid_compare_manifest(string file)
    {
        var errors = ManifestLoader.Validate(Path.Combine(AppContext.BaseDirectory, "examples", file),
            BuiltPlugins.Load("Tasks", "Feedback", "Debate", "LanguageModels", "RewardModels", "Ppo"));

        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors.Select(error => error.ToString())));
    }

    [Fact]
    public void A_judge_or_debater_name_that_does_not_exist_is_refused_with_the_names_that_do()
    {
        JsonObject manifest = LabelPipeline(DebateNames.Debate);
        manifest["stages"]![0]!["source"]!["options"]!["judge"]!["name"] = "gpt-judge";
        manifest["stages"]![0]!["source"]!["options"]!["debaters"] = new JsonObject { ["name"] = "oracle" };
        string dir = Directory.CreateTempSubdirectory("alignfx-debate-").FullName;
        string path = Path.Combine(dir, "m.json");
        File.WriteAllText(path, manifest.ToJsonString());

        ManifestResult<PipelineManifest> loaded = ManifestLoader.LoadPipeline(path, Catalog.Value);
        Directory.Delete(dir, recursive: true);

        GoldenFiles.Check("unknown-judge-and-debater.txt", loaded.FormatErrors().Replace(path, "m.json", StringComparison.Ordinal) + "\n");
    }

    /// <summary>A stand-in for a pretrained policy: answers like the task's pretraining corpus, seeded by the generation options.</summary>
    public sealed class CorpusPolicy : IPolicy
    {
        /// <inheritdoc />
        public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct)
        {
            Random random = RandomStreams.Create(options.Seed, "corpus-policy");
            var corpus = new PretrainingCorpusOptions { HardCorrectRate = 0.5 };
            return Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select(p =>
            {
                ArithmeticProblem problem = ArithmeticProblem.TryParse(p.Text) ?? throw new ArgumentException($"not an arithmetic prompt: {p.Text}");
                return new Response(p, PretrainingCorpus.Respond(problem, problem.Difficulty > 1, corpus, random).Text) { Source = "scripted" };
            })]);
        }

        /// <inheritdoc />
        public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<float[]>>([.. responses.Select(r => new float[r.Text.Length])]);
    }

}

/// <summary>Loaded plugins plus this project's own components (they win over a plugin's of the same kind and name).</summary>
internal sealed class TestCatalog(IComponentCatalog plugins, params ComponentDescriptor[] extra) : IComponentCatalog
{
    public IReadOnlyList<ComponentDescriptor> Components => [.. plugins.Components, .. extra];

    public ComponentDescriptor? Find(string kind, string name) =>
        Array.Find(extra, c => c.Kind == kind && c.Name == name) ?? plugins.Find(kind, name);
}
