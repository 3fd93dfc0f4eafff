using System.Text.Json.Nodes;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Critics.Tests;

/// <summary>
/// A stand-in for a pretrained policy: answers arithmetic prompts from the pretraining corpus's behaviour distribution
/// (steps shown 60% of the time), seeded by the generation options.
/// </summary>
public sealed class CorpusPolicy : IPolicy
{
    private static readonly PretrainingCorpusOptions Rates = new() { EasyCorrectRate = 0.6, HardCorrectRate = 0.5, StepsRate = 0.6 };

    /// <inheritdoc />
    public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct)
    {
        Random random = RandomStreams.Create(options.Seed, "corpus-policy");
        return Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select(p =>
        {
            ArithmeticProblem problem = ArithmeticProblem.TryParse(p.Text) ?? throw new ArgumentException($"not an arithmetic prompt: {p.Text}");
            return new Response(p, PretrainingCorpus.Respond(problem, problem.Difficulty > 1, Rates, random).Text) { Source = "corpus" };
        })]);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<float[]>>([.. responses.Select(r => new float[r.Text.Length])]);
}

/// <summary>
/// One run shared by the trained critic's tests: train-critic on the corpus policy's answers, then the trained critic
/// in every place a critic is used (assisted labels, critique → revision, AI feedback).
/// </summary>
public sealed class TrainedCriticRun : IAsyncLifetime
{
    /// <summary>The plugins the runs use, loaded once, plus the corpus policy.</summary>
    public static readonly IComponentCatalog Catalog = new TestCatalog(
        BuiltPlugins.Load("Tasks", "LanguageModels", "Critics", "Feedback", "ConstitutionalCritique"),
        new ComponentDescriptor(ComponentKinds.Policy, "corpus", typeof(CorpusPolicy), typeof(NoOptions), "corpus-distribution answers") { Plugin = "Critics.Tests" });

    /// <summary>The task of the assisted-feedback example: +/− with one-digit operands, hard items of three operations.</summary>
    public static JsonNode Task() => JsonNode.Parse("""
        { "name": "arithmetic", "options": { "operators": "+-", "hardDigits": 1, "hardOperations": 3, "hintRate": 0, "trainPrompts": 600, "testPrompts": 300 } }
        """)!;

    /// <summary>A train-critic stage at test size.</summary>
    public static JsonObject TrainCritic(int steps, int examples, int heldOut) => new()
    {
        ["stage"] = CriticComponents.TrainCritic,
        ["examples"] = examples,
        ["heldOut"] = heldOut,
        ["steps"] = steps,
    };

    public static JsonObject Manifest() => new()
    {
        ["name"] = "trained-critic",
        ["seed"] = 1,
        ["task"] = Task(),
        ["policy"] = "corpus",
        ["stages"] = new JsonArray(
            TrainCritic(steps: 1500, examples: 3000, heldOut: 400),
            JsonNode.Parse("""
                { "stage": "collect-feedback", "id": "assisted", "labels": 150, "source": { "name": "assisted", "options": {
                  "source": { "name": "simulated-human", "options": { "verificationLimit": 2 } }, "critic": "trained" } } }
                """),
            JsonNode.Parse("""
                { "stage": "critique-revise", "rounds": 1, "prompts": 40, "critic": "trained",
                  "constitution": { "principles": [ { "name": "wrong-steps", "concerns": ["step_errors", "correct"] } ] } }
                """),
            JsonNode.Parse("""
                { "stage": "collect-feedback", "id": "ai-feedback", "labels": 40, "source": { "name": "ai-feedback", "options": { "critic": "trained",
                  "constitution": { "principles": [ { "name": "wrong-steps", "concerns": ["step_errors", "correct"] } ] } } } }
                """)),
    };

    internal ExampleRun Run { get; } = new();

    public async ValueTask InitializeAsync() => await Run.RunAsync(Manifest(), Catalog, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync()
    {
        Run.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class TrainedCriticTests(TrainedCriticRun fixture, ITestOutputHelper output) : IClassFixture<TrainedCriticRun>
{
    private double Result(string metric) => fixture.Run.Outcome.Artifacts.Get<EvaluationResults>(CriticKeys.TrainCriticResults).Metrics[metric];

    [Fact]
    public void The_trained_critic_learns_to_find_false_claims_better_than_a_critic_that_guesses_at_its_rate()
    {
        string[] shown = [CriticMetrics.Accuracy, CriticMetrics.BalancedAccuracy, CriticMetrics.Specificity, CriticMetrics.NoErrorAccuracy, CriticMetrics.GuessAccuracy, CriticMetrics.Precision, CriticMetrics.GuessPrecision,
            CriticMetrics.Recall, CriticMetrics.GuessRecall, CriticMetrics.FlagRate, CriticMetrics.FlawedRate, CriticMetrics.ClaimAccuracy, CriticMetrics.ClaimTrueRate, CriticMetrics.HeldOut];
        output.WriteLine(string.Join("\n", shown.Select(m => $"{m} {Result(m):F3}")));
        IReadOnlyList<double> loss = fixture.Run.Metric(CriticMetrics.Loss);

        // 400 held-out responses: one binomial SE of a rate is at most 0.025.
        Assert.True(Result(CriticMetrics.Precision) > Result(CriticMetrics.GuessPrecision) + 0.1,
            $"precision {Result(CriticMetrics.Precision)} vs guessing {Result(CriticMetrics.GuessPrecision)}");
        Assert.True(Result(CriticMetrics.Recall) > Result(CriticMetrics.GuessRecall) + 0.15,
            $"recall {Result(CriticMetrics.Recall)} vs guessing {Result(CriticMetrics.GuessRecall)}");
        Assert.True(Result(CriticMetrics.Accuracy) > Result(CriticMetrics.GuessAccuracy) + 0.05,
            $"accuracy {Result(CriticMetrics.Accuracy)} vs guessing {Result(CriticMetrics.GuessAccuracy)}");
        // Always "no error" and guessing both have balanced accuracy 0.5; one SE here is about 0.03.
        Assert.True(Result(CriticMetrics.BalancedAccuracy) > 0.6, $"balanced accuracy {Result(CriticMetrics.BalancedAccuracy)}");
        Assert.True(loss[^1] < loss[0] / 2, $"loss {loss[0]} -> {loss[^1]}");
    }

    [Fact]
    public void The_trained_critic_assists_labellers_critiques_for_revision_and_judges_for_ai_feedback()
    {
        // Assisted labels: the evaluators found flaws the critic pointed at and checked.
        Assert.True(fixture.Run.Metric("assisted/flaws_found_per_label")[^1] > 0.05);
        var labels = fixture.Run.Outcome.Artifacts.Get<FeedbackDataset>().Pairwise.ToList();
        Assert.Contains(labels, l => l.Provenance.Source == "assisted" && l.Transcript!.Any(t => t.Text.Contains("(trained)", StringComparison.Ordinal)));
        // Critique → revision: every round's critique is the trained critic's, and some were flagged and revised.
        var chains = fixture.Run.Outcome.Artifacts.Get<IReadOnlyList<CorrectionFeedback>>("critique-revise");
        Assert.All(chains, c => Assert.StartsWith("trained: ", c.Transcript!.Single(t => t.Speaker == "critic").Text, StringComparison.Ordinal));
        Assert.True(fixture.Run.Metric("critique/flagged_rate").Single() > 0);
        // AI feedback: the trained critic judged, under the principle.
        Assert.Contains(labels, l => l.Provenance.Source == "ai-feedback" && l.Provenance.Annotator == CriticComponents.Trained);
    }

    [Fact]
    public void The_stage_reports_the_critics_measurements_against_both_baselines()
    {
        string path = fixture.Run.Store.GetArtifacts(fixture.Run.Outcome.RunId).Single(a => a.RelativePath == "report/train-critic-critic.json").RelativePath;
        ReportContribution contribution = ReportContributions.Read(File.ReadAllText(Path.Combine(fixture.Run.Store.GetRunFolder(fixture.Run.Outcome.RunId), path)));

        ReportSectionData section = Assert.Single(contribution.Sections);
        Assert.Equal(["trained", "always 'no error'", "guessing at the same rate"], section.Tables.Single().Rows.Select(r => r[0]));
        Assert.Equal(12, section.Texts.Count);
        Assert.Equal(DisclosureGroups.HumanFeedback, contribution.Disclosure.Single().Group);
    }
}

/// <summary>Determinism, isolation and validation of the trained critic, at tiny sizes.</summary>
public sealed class TrainedCriticBehaviourTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-critic-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static JsonObject Tiny(long seed) => new()
    {
        ["name"] = "trained-critic-tiny",
        ["seed"] = seed,
        ["task"] = TrainedCriticRun.Task(),
        ["policy"] = "corpus",
        ["stages"] = new JsonArray(WithWarmup(TrainedCriticRun.TrainCritic(steps: 25, examples: 150, heldOut: 80), 5)),
    };

    private static JsonObject WithWarmup(JsonObject stage, int steps)
    {
        stage["warmupSteps"] = steps;
        return stage;
    }

    private static async Task<(IReadOnlyDictionary<string, double> Results, IReadOnlyList<double> Loss, List<Critique> Critiques)> Train(long seed)
    {
        using var run = new ExampleRun();
        RunOutcome outcome = await run.RunAsync(Tiny(seed), TrainedCriticRun.Catalog, TestContext.Current.CancellationToken);
        var task = TestResponses.Task(1, 0);
        TrainedCritic critic = TrainedCritic.WithPolicy(new TrainedCriticOptions(), task.Claims!, outcome.Artifacts.Get<IPolicy>(CriticKeys.CriticModel));
        List<Critique> critiques = [.. TestResponses.Sample(40, seed: 9).Select(r => critic.Critique(r))];
        return (outcome.Artifacts.Get<EvaluationResults>(CriticKeys.TrainCriticResults).Metrics, run.Metric(CriticMetrics.Loss), critiques);
    }

    [Fact]
    public async Task The_same_seed_trains_the_same_critic_and_another_seed_another()
    {
        var first = await Train(3);
        var again = await Train(3);
        var other = await Train(4);

        Assert.Equal(first.Results.OrderBy(p => p.Key), again.Results.OrderBy(p => p.Key));
        Assert.Equal(first.Loss, again.Loss);
        Assert.Equal(first.Critiques, again.Critiques);
        Assert.NotEqual(first.Loss, other.Loss);
    }

    [Fact]
    public async Task The_trained_critic_reads_only_the_claims_of_a_response_whatever_travels_with_it()
    {
        var policy = new RecordingPolicy("wrong");
        var task = TestResponses.Task(1, 0);
        TrainedCritic critic = TrainedCritic.WithPolicy(new TrainedCriticOptions(), task.Claims!, policy);
        Response response = TestResponses.Sample(30, seed: 2).First(r => task.Claims!.Claims(r).Count > 1);
        Response marked = response with { Metadata = new Dictionary<string, string> { ["gold/correct"] = "1", ["answer"] = "42" } };

        Critique plain = await critic.CritiqueAsync(response, null, TestContext.Current.CancellationToken);
        Critique withTruth = await critic.CritiqueAsync(marked, null, TestContext.Current.CancellationToken);

        Assert.Equal(plain, withTruth);
        string[] claims = [.. task.Claims!.Claims(response).Select(c => c.Text)];
        Assert.Equal([.. claims, .. claims], policy.Prompts);
        // Every claim judged wrong: the critique points at the earliest.
        Assert.Equal(0, plain.ClaimIndex);
    }

    [Fact]
    public void Bad_options_of_train_critic_and_the_trained_critic_are_refused_by_json_path()
    {
        JsonObject manifest = Tiny(1);
        JsonArray stages = manifest["stages"]!.AsArray();
        stages.Add(JsonNode.Parse("""{ "stage": "train-critic", "examples": 0, "wrongShare": 1.5, "model": "nope" }"""));
        stages.Add(JsonNode.Parse("""{ "stage": "train-critic", "steps": 10, "warmupSteps": 10, "heldOutSplit": "train" }"""));
        stages.Add(JsonNode.Parse("""{ "stage": "collect-feedback", "labels": 10, "source": { "name": "assisted", "options": { "critic": { "name": "trained", "options": { "model": "", "maxNewTokens": 0 } } } } }"""));
        stages.Add(JsonNode.Parse("""{ "stage": "collect-feedback", "labels": 10, "source": { "name": "assisted", "options": { "critic": { "name": "chat", "options": { "timeoutSeconds": 0, "prompt": { "template": "{{$answer}}" } } } } } }"""));
        stages.Add(JsonNode.Parse("""{ "stage": "collect-feedback", "labels": 10, "source": { "name": "assisted", "options": { "critic": "chat" } } }"""));
        string path = Path.Combine(_dir, "m.json");
        File.WriteAllText(path, manifest.ToJsonString());

        IReadOnlyList<ManifestError> errors = ManifestLoader.Validate(path, TrainedCriticRun.Catalog);

        GoldenFiles.Check("trained-critic-errors.txt", string.Join("\n", errors) + "\n");
    }

    /// <summary>A policy that answers every prompt the same and remembers the prompts.</summary>
    private sealed class RecordingPolicy(string answer) : IPolicy
    {
        public List<string> Prompts { get; } = [];

        public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct)
        {
            Prompts.AddRange(prompts.Select(p => p.Text));
            return Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select(p => new Response(p, answer))]);
        }

        public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) => throw new NotSupportedException();
    }
}

/// <summary>A catalog of loaded plugins plus this test project's own components.</summary>
internal sealed class TestCatalog(IComponentCatalog plugins, params ComponentDescriptor[] extra) : IComponentCatalog
{
    public IReadOnlyList<ComponentDescriptor> Components => [.. plugins.Components, .. extra];

    public ComponentDescriptor? Find(string kind, string name) =>
        Array.Find(extra, c => c.Kind == kind && c.Name == name) ?? plugins.Find(kind, name);
}
