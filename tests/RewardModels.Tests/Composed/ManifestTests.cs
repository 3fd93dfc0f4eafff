using System.Globalization;
using System.Reflection;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.Tasks.Arithmetic;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.RewardModels.Tests.Composed;

/// <summary>
/// Composite rewards in manifests, through the host: the built Tasks and RewardModels plugins are loaded from their
/// folders (as <c>alignfx validate</c> and <c>alignfx run</c> load them), nested reward options are validated with
/// JSON paths, and a run creates the nested rewards through the component factory the host injects. A test stage
/// stands in for the optimiser that will take a <c>reward</c> option.
/// </summary>
public sealed class ManifestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-composed-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly Lazy<IComponentCatalog> Catalog = new(() =>
    {
        var catalog = BuiltPlugins.Load("Tasks", "RewardModels");
        return new CatalogWithTestParts(catalog);
    });

    private const string MultiObjective = """
        {
          "name": "composed", "seed": 2,
          "task": { "name": "arithmetic", "options": { "testPrompts": 12 } },
          "policy": "canned",
          "stages": [
            { "stage": "score-with-reward",
              "reward": { "name": "multi-objective", "options": {
                "scalarisation": "tchebycheff",
                "objectives": [
                  { "name": "gold", "reward": "gold", "weight": 1, "ideal": 1 },
                  { "name": "length", "reward": { "name": "length-penalty", "options": { "target": 5, "coefficient": 0.1 } }, "weight": 2, "ideal": 0 },
                ] } } },
          ],
        }
        """;

    private string Write(string name, string json)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private async Task<RunOutcome> Run(string json)
    {
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(Write("m.json", json), Catalog.Value);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(_dir, "runs", "alignfx.db"));
        var runner = new PipelineRunner(Catalog.Value, store, NullLoggerFactory.Instance, TextWriter.Null);
        RunOutcome outcome = await runner.RunAsync(manifest.Value!);
        Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
        return outcome;
    }

    [Fact]
    public async Task A_multi_objective_reward_of_gold_and_length_penalty_binds_runs_and_scores_as_computed_by_hand()
    {
        RunOutcome outcome = await Run(MultiObjective);
        Scored scored = outcome.Artifacts.Get<Scored>();

        Assert.Equal(["gold", "length"], scored.Objectives.Keys);
        Assert.Equal(12, scored.Responses.Count);
        for (int i = 0; i < scored.Responses.Count; i++)
        {
            Response response = scored.Responses[i];
            double gold = ArithmeticResponse.Parse(response.Text).Answer == ArithmeticProblem.TryParse(response.Prompt.Text)!.Answer ? 1 : 0;
            double length = -0.1 * Math.Max(0, response.Text.Length - 5);
            Assert.Equal(gold, scored.Objectives["gold"][i]);
            Assert.Equal(length, scored.Objectives["length"][i], 12);
            Assert.Equal(-Math.Max(1 * Math.Abs(1 - gold), 2 * Math.Abs(0 - length)), scored.Scores[i], 12);
        }
        // The canned policy is right on every other prompt, so both objectives vary.
        Assert.Equal(6, scored.Objectives["gold"].Sum());
        Assert.Contains(scored.Objectives["length"], v => v < 0);
    }

    [Fact]
    public async Task A_constrained_reward_binds_with_its_multipliers_and_scores_the_lagrangian()
    {
        RunOutcome outcome = await Run("""
            {
              "name": "constrained", "seed": 2,
              "task": { "name": "arithmetic", "options": { "testPrompts": 12 } },
              "policy": "canned",
              "stages": [
                { "stage": "score-with-reward",
                  "reward": { "name": "constrained", "options": {
                    "objective": { "name": "format", "reward": "format" },
                    "constraints": [
                      { "name": "wrong", "reward": { "name": "regex", "options": { "pattern": "Trust me", "scoring": "match" } }, "threshold": 0.1, "initialMultiplier": 0.75 },
                    ] } } },
              ],
            }
            """);
        Scored scored = outcome.Artifacts.Get<Scored>();

        Assert.Equal(["format", "wrong"], scored.Objectives.Keys);
        for (int i = 0; i < scored.Responses.Count; i++)
        {
            string text = scored.Responses[i].Text;
            double format = text.EndsWith("Trust me.", StringComparison.Ordinal) ? 0 : 1;
            double cost = text.Contains("Trust me", StringComparison.Ordinal) ? 1 : 0;
            Assert.Equal((format, cost), (scored.Objectives["format"][i], scored.Objectives["wrong"][i]));
            Assert.Equal(format - (0.75 * cost), scored.Scores[i], 12);
        }
        Assert.Equal(6, scored.Objectives["wrong"].Sum());
    }

    [Fact]
    public void Bad_nested_reward_options_are_refused_with_their_json_paths()
    {
        string bad = MultiObjective
            .Replace("\"coefficient\": 0.1", "\"coefficient\": -1", StringComparison.Ordinal)
            .Replace("\"weight\": 1, \"ideal\": 1", "\"weight\": 1", StringComparison.Ordinal)
            .Replace("\"reward\": \"gold\"", "\"reward\": { \"name\": \"gold\", \"options\": { \"feature\": \"\" } }", StringComparison.Ordinal);
        ManifestResult<PipelineManifest> result = ManifestLoader.LoadPipeline(Write("bad.json", bad), Catalog.Value);

        Assert.False(result.IsValid);
        string errors = result.FormatErrors();
        const string objectives = "$.stages[0].reward.options.objectives";
        Assert.Contains($"{objectives}[1].reward.options.coefficient: must be in [0, 1000000]", errors, StringComparison.Ordinal);
        Assert.Contains($"{objectives}[0].reward.options.feature:", errors, StringComparison.Ordinal);

        string other = MultiObjective
            .Replace("\"reward\": \"gold\"", "\"reward\": \"gould\"", StringComparison.Ordinal)
            .Replace("{ \"name\": \"length\", \"reward\":", "{ \"name\": \"gold\", \"ideal\": 2, \"rewrd\":", StringComparison.Ordinal);
        errors = ManifestLoader.LoadPipeline(Write("other.json", other), Catalog.Value).FormatErrors();
        Assert.Contains($"{objectives}[0].reward: unknown reward model 'gould'", errors, StringComparison.Ordinal);
        Assert.Contains($"{objectives}[1].rewrd: unknown option 'rewrd'; did you mean 'reward'?", errors, StringComparison.Ordinal);

        string invalid = MultiObjective.Replace("\"weight\": 2, \"ideal\": 0", "\"weight\": 2", StringComparison.Ordinal);
        errors = ManifestLoader.LoadPipeline(Write("invalid.json", invalid), Catalog.Value).FormatErrors();
        Assert.Contains($"{objectives}: objective 'length' needs an 'ideal' value (z*) for Tchebycheff scalarisation", errors, StringComparison.Ordinal);

        string regex = MultiObjective.Replace("\"reward\": \"gold\"", "\"reward\": { \"name\": \"regex\", \"options\": { \"pattern\": \"(unclosed\" } }", StringComparison.Ordinal);
        errors = ManifestLoader.LoadPipeline(Write("regex.json", regex), Catalog.Value).FormatErrors();
        Assert.Contains($"{objectives}[0].reward.options.pattern: is not a valid regular expression", errors, StringComparison.Ordinal);
    }

    /// <summary>What the test stage leaves: the responses, the combined scores and, for multi-objective rewards, every objective's values.</summary>
    public sealed record Scored(IReadOnlyList<Response> Responses, IReadOnlyList<double> Scores, IReadOnlyDictionary<string, double[]> Objectives);

    /// <summary>Options of the test stage: the reward to score with, as an optimiser's options name it.</summary>
    public sealed class ScoreWithRewardOptions
    {
        /// <summary>The reward.</summary>
        [ComponentKind(ComponentKinds.RewardModel)]
        public ComponentRef Reward { get; set; } = new() { Name = "gold" };
    }

    /// <summary>Samples the policy on the test prompts and scores the responses with the reward.</summary>
    public sealed class ScoreWithRewardStage(ScoreWithRewardOptions options) : IStage
    {
        public async Task RunAsync(IStageContext context, CancellationToken ct)
        {
            IRewardModel reward = context.Components.Create<IRewardModel>(options.Reward);
            IReadOnlyList<Response> responses = await context.Policy.GenerateAsync(context.Task.GetPrompts(TaskSplits.Test), new GenerationOptions { Seed = context.Seed }, ct);
            IReadOnlyList<double> scores = await reward.ScoreAsync(responses, ct);
            IReadOnlyDictionary<string, double[]> objectives = reward is IMultiObjectiveRewardModel multi
                ? await multi.ScoreObjectivesAsync(responses, ct)
                : new Dictionary<string, double[]>();
            foreach (var (name, values) in objectives)
            {
                context.Metrics.Log("reward/" + name, values.Average(), 0);
            }
            context.Artifacts.Set(new Scored(responses, scores, objectives));
        }
    }

    /// <summary>Answers prompt i right and padded ("Surely 12. Trust me.") when i is even, one too high and bare when odd.</summary>
    public sealed class CannedPolicy : IPolicy
    {
        public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select((p, i) =>
            {
                long answer = ArithmeticProblem.TryParse(p.Text)!.Answer;
                string text = i % 2 == 0
                    ? new ArithmeticResponse(answer, [], ResponseTone.Confident, Padded: true).Format(0)
                    : (answer + 1).ToString(CultureInfo.InvariantCulture);
                return new Response(p, text) { Id = $"r{i}", Source = "canned" };
            })]);

        public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<float[]>>([.. responses.Select(r => new float[r.Text.Length])]);
    }

    /// <summary>The loaded plugins plus the test's policy and stage.</summary>
    private sealed class CatalogWithTestParts(PluginCatalog plugins) : IComponentCatalog
    {
        private readonly ComponentDescriptor[] _parts =
        [
            new(ComponentKinds.Policy, "canned", typeof(CannedPolicy), typeof(NoOptions), "Right and padded, or wrong and bare.") { Plugin = "RewardModels.Tests" },
            new(ComponentKinds.Stage, "score-with-reward", typeof(ScoreWithRewardStage), typeof(ScoreWithRewardOptions), "Scores the policy's test responses.") { Plugin = "RewardModels.Tests" },
        ];

        public IReadOnlyList<ComponentDescriptor> Components => [.. plugins.Components, .. _parts];

        public ComponentDescriptor? Find(string kind, string name) =>
            Array.Find(_parts, d => d.Kind == kind && d.Name == name) ?? plugins.Find(kind, name);
    }
}
