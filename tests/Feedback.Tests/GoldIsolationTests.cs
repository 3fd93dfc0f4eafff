using AlignFx.Evaluation;
using System.Collections.Concurrent;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.Tasks.Arithmetic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Feedback.Tests;

/// <summary>
/// The truth never travels with responses: judges, critics, debaters, selectors and reward models get responses and
/// prompts without gold features, and only components marked <see cref="SeesGoldTruthAttribute"/> get the gold evaluator.
/// </summary>
public sealed class GoldIsolationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-gold-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Metadata keys that would hand over the truth (the answer, gold scores or truth-derived features).</summary>
    private static readonly string[] TruthKeys =
        ["answer", "score", GoldFeatures.Correct, GoldFeatures.AgreesWithHint, GoldFeatures.HintCorrect, GoldFeatures.StepErrors];

    /// <summary>The truth-bearing metadata of a response and its prompt, as "where: key" lines (empty when clean).</summary>
    private static List<string> LeaksIn(Response response) =>
    [
        .. response.Metadata.Keys.Where(IsTruthKey).Select(k => $"response {response.Id}: {k}"),
        .. response.Prompt.Metadata.Keys.Where(IsTruthKey).Select(k => $"prompt {response.Prompt.Id}: {k}"),
    ];

    private static bool IsTruthKey(string key) =>
        key.StartsWith("gold", StringComparison.OrdinalIgnoreCase) || TruthKeys.Contains(key, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void The_leak_detector_finds_gold_features_attached_to_a_response_or_its_prompt()
    {
        var prompt = new Prompt("p", "3+4=?");
        Assert.Empty(LeaksIn(new Response(prompt, "7") { Id = "clean" }));
        Assert.Single(LeaksIn(new Response(prompt, "7") { Id = "r", Metadata = new Dictionary<string, string> { ["gold/score"] = "1" } }));
        Assert.Single(LeaksIn(new Response(prompt with { Metadata = new Dictionary<string, string> { ["answer"] = "7" } }, "7")));
    }

    [Fact]
    public void Prompts_of_the_shipped_task_carry_no_truth()
    {
        var task = new ArithmeticTask(new ArithmeticOptions { TrainPrompts = 300 }, new TestRunContext(2));
        Assert.Empty(task.GetPrompts(TaskSplits.Train).SelectMany(p => LeaksIn(new Response(p, ""))));
    }

    [Fact]
    public void A_component_not_marked_as_a_simulated_evaluator_is_refused_the_gold_evaluator_with_the_remedy()
    {
        using ServiceProvider services = Services();
        var descriptor = new ComponentDescriptor(ComponentKinds.FeedbackSource, "peeking-judge", typeof(PeekingJudge), typeof(NoOptions), "asks for the truth");

        var error = Assert.Throws<InvalidOperationException>(() => ComponentActivator.Create(services, descriptor, new NoOptions()));

        Assert.Contains("feedback-source 'peeking-judge' asks for the task's gold evaluator", error.Message, StringComparison.Ordinal);
        Assert.Contains("[SeesGoldTruth(\"why\")]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_marked_components_see_the_tasks_gold_evaluator()
    {
        using ServiceProvider services = Services();
        var judge = (TaskReader)ComponentActivator.Create(services,
            new ComponentDescriptor(ComponentKinds.FeedbackSource, "judge", typeof(TaskReader), typeof(NoOptions), "reads the task"), new NoOptions());
        var oracle = (MarkedTaskReader)ComponentActivator.Create(services,
            new ComponentDescriptor(ComponentKinds.FeedbackSource, "oracle", typeof(MarkedTaskReader), typeof(NoOptions), "reads the task"), new NoOptions());

        Assert.Null(judge.Task.Gold);
        Assert.Equal(300, judge.Task.GetPrompts(TaskSplits.Train).Count);
        Assert.NotNull(oracle.Task.Gold);
        Assert.Same(oracle.Task.Gold, oracle.Gold);
    }

    [Fact]
    public void Every_shipped_component_that_asks_for_the_gold_evaluator_is_marked_as_seeing_it()
    {
        var catalog = BuiltPlugins.Load("Tasks", "Feedback", "RewardModels", "Ppo", "LanguageModels", "ChatModels", "Critics", "Debate", "ConstitutionalCritique");
        var asking = catalog.Components.Where(c => c.ImplementationType.GetConstructors()
            .Any(k => k.GetParameters().Any(p => p.ParameterType == typeof(IGoldEvaluator)))).ToList();

        Assert.NotEmpty(asking);
        Assert.All(asking, c => Assert.True(
            c.ImplementationType.GetCustomAttributes(typeof(SeesGoldTruthAttribute), false).Length == 1, $"{c.Kind} '{c.Name}' is not marked"));
        // Only evaluators and oracles are marked: no policy, selector or optimiser may see the truth.
        Assert.All(catalog.Components.Where(c => c.ImplementationType.GetCustomAttributes(typeof(SeesGoldTruthAttribute), false).Length > 0),
            c => Assert.Contains(c.Kind, new[] { ComponentKinds.FeedbackSource, ComponentKinds.RewardModel }));
    }

    [Fact]
    public async Task Sources_selectors_and_critics_in_a_run_of_the_shipped_plugins_receive_responses_without_gold_features()
    {
        Spy.Seen.Clear();
        Spy.CriticSawGold = null;
        var catalog = new TestCatalog(BuiltPlugins.Load("Tasks", "Feedback", "Critics"), TestCatalog.ScriptedPolicy,
            TestCatalog.Describe(ComponentKinds.FeedbackSource, "spy", typeof(Spy)), TestCatalog.Describe(ComponentKinds.QuerySelector, "spy", typeof(Spy)),
            TestCatalog.Describe(ComponentKinds.Critic, "spy", typeof(Spy)));
        string path = Path.Combine(_dir, "m.json");
        File.WriteAllText(path, """
            {
              "name": "gold-isolation", "seed": 4,
              "task": { "name": "arithmetic", "options": { "trainPrompts": 200 } },
              "policy": "scripted",
              "stages": [
                { "stage": "collect-feedback", "labels": 60, "source": "spy", "selector": "spy", "candidates": 2 },
                { "stage": "collect-feedback", "id": "simulated", "labels": 40, "source": "simulated-human" },
                { "stage": "collect-feedback", "id": "assisted", "labels": 30, "source": { "name": "assisted", "options": { "critic": "spy" } } },
                { "stage": "collect-feedback", "id": "scripted-critic", "labels": 20, "source": "assisted" },
              ],
            }
            """);
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(_dir, "alignfx.db"));

        RunOutcome outcome = await new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null).RunAsync(manifest.Value!, cancellation: TestContext.Current.CancellationToken);

        Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
        Assert.Equal(60 + 120 + 60, Spy.Seen.Count); // 60 answered, 120 offered to the selector, 60 critiqued (30 pairs)
        Assert.Empty(Spy.Seen.SelectMany(LeaksIn));
        Assert.Empty(outcome.Artifacts.Get<FeedbackDataset>().Pairwise.SelectMany(p => LeaksIn(p.First).Concat(LeaksIn(p.Second))));
        // The spy's task has no gold evaluator; the simulated evaluator's labels still follow the truth.
        Assert.True(Spy.SawGold is false);
        Assert.True(Spy.CriticSawGold is false);
        Assert.InRange(outcome.Artifacts.Get<EvaluationResults>(CollectFeedbackStage.ResultsKey).Metrics[MetricNames.Feedback.GoldAgreement], 0.6, 1.0);
    }

    [Fact]
    public async Task Critics_in_a_critique_revise_run_of_the_shipped_plugins_receive_responses_without_gold_features()
    {
        SpyCritic.Seen.Clear();
        var catalog = new TestCatalog(BuiltPlugins.Load("Tasks", "ConstitutionalCritique"), TestCatalog.ScriptedPolicy,
            TestCatalog.Describe(ComponentKinds.Critic, "spy", typeof(SpyCritic)));
        string path = Path.Combine(_dir, "critique.json");
        File.WriteAllText(path, """
            {
              "name": "gold-isolation-critique", "seed": 4,
              "task": { "name": "arithmetic", "options": { "trainPrompts": 100 } },
              "policy": "scripted",
              "stages": [
                { "stage": "critique-revise", "critic": "spy", "rounds": 2, "prompts": 50,
                  "constitution": { "principles": [ { "name": "wrong-steps", "concerns": ["step_errors"] } ] } },
              ],
            }
            """);
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(_dir, "alignfx.db"));

        RunOutcome outcome = await new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null).RunAsync(manifest.Value!, cancellation: TestContext.Current.CancellationToken);

        Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
        Assert.Equal(100, SpyCritic.Seen.Count); // 50 responses, 2 rounds
        Assert.Empty(SpyCritic.Seen.SelectMany(LeaksIn));
        Assert.True(SpyCritic.SawGold is false);
    }

    private static ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITask>(new ArithmeticTask(new ArithmeticOptions { TrainPrompts = 300 }, new TestRunContext(1)));
        return services.BuildServiceProvider();
    }

    private sealed class PeekingJudge(IGoldEvaluator gold)
    {
        public IGoldEvaluator Gold { get; } = gold;
    }

    private sealed class TaskReader(ITask task)
    {
        public ITask Task { get; } = task;
    }

    [SeesGoldTruth("test oracle")]
    private sealed class MarkedTaskReader(ITask task, IGoldEvaluator gold)
    {
        public ITask Task { get; } = task;
        public IGoldEvaluator Gold { get; } = gold;
    }

    /// <summary>A critic that remembers every response it is handed and finds no flaw.</summary>
    private sealed class SpyCritic(ITask task) : AlignFx.Abstractions.Critique.ICritic
    {
        public static readonly ConcurrentBag<Response> Seen = [];
        public static bool? SawGold;

        public Task<AlignFx.Abstractions.Critique.Critique> CritiqueAsync(Response response, AlignFx.Abstractions.Critique.Principle? principle, CancellationToken ct)
        {
            SawGold = task.Gold is not null;
            Seen.Add(response);
            return Task.FromResult(new AlignFx.Abstractions.Critique.Critique("spy", principle?.Name, false, "No flaw found."));
        }
    }

    /// <summary>A feedback source and query selector that remember every response they are handed.</summary>
    private sealed class Spy(ITask task) : IFeedbackSource, IQuerySelector, ICritic
    {
        public static readonly ConcurrentBag<Response> Seen = [];
        public static bool? SawGold;
        public static bool? CriticSawGold;

        public Task<Critique> CritiqueAsync(Response response, Principle? principle, CancellationToken ct)
        {
            CriticSawGold = task.Gold is not null;
            Seen.Add(response);
            return Task.FromResult(new Critique("spy", principle?.Name, false, "No flaw found."));
        }

        public IReadOnlySet<FeedbackKind> Supports { get; } = new HashSet<FeedbackKind> { FeedbackKind.Pairwise };

        public Task<IReadOnlyList<FeedbackRecord>> AnswerAsync(IReadOnlyList<FeedbackQuery> queries, CancellationToken ct)
        {
            SawGold = task.Gold is not null;
            var pairs = queries.Cast<PairwiseQuery>().ToList();
            pairs.ForEach(p => { Seen.Add(p.First); });
            return Task.FromResult<IReadOnlyList<FeedbackRecord>>([.. pairs.Select(p =>
                new PairwiseFeedback(p.Id, new FeedbackProvenance("spy", "spy", 0, TimeSpan.Zero, 0.5), p.First, p.Second, 0.5))]);
        }

        public Task<IReadOnlyList<FeedbackQuery>> SelectAsync(IReadOnlyList<FeedbackQuery> candidates, int count, CancellationToken ct)
        {
            foreach (PairwiseQuery pair in candidates.Cast<PairwiseQuery>())
            {
                Seen.Add(pair.Second);
            }
            return Task.FromResult<IReadOnlyList<FeedbackQuery>>([.. candidates.Take(count)]);
        }
    }
}
