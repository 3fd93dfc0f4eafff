using System.Text.Json.Nodes;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.ConstitutionalCritique.Tests;

/// <summary>
/// A stand-in for a pretrained policy: answers arithmetic prompts by sampling from the pretraining corpus's behaviour
/// distribution (rates as given), seeded by the generation options.
/// </summary>
public sealed class CorpusPolicy : IPolicy
{
    /// <summary>The corpus rates the policy answers with: half the easy and a third of the hard answers right, steps shown 30%.</summary>
    public static readonly PretrainingCorpusOptions Rates = new() { EasyCorrectRate = 0.5, HardCorrectRate = 0.35 };

    /// <inheritdoc />
    public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct)
    {
        Random random = RandomStreams.Create(options.Seed, "corpus-policy");
        return Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select(p =>
        {
            ArithmeticProblem problem = ArithmeticProblem.TryParse(p.Text) ?? throw new ArgumentException($"not an arithmetic prompt: {p.Text}");
            bool hard = p.Metadata.TryGetValue(ArithmeticTask.HardKey, out string? h) && h == "1";
            return new Response(p, PretrainingCorpus.Respond(problem, hard, Rates, random).Text) { Source = "corpus" };
        })]);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<float[]>>([.. responses.Select(r => new float[r.Text.Length])]);
}

/// <summary>The arithmetic task's gold evaluator and sample responses from the corpus policy.</summary>
internal static class Arithmetic
{
    public static readonly ArithmeticTask Task = new(new ArithmeticOptions(), new TestRunContext(0));

    /// <summary><paramref name="count"/> pairs of responses to the same train prompt, with ids.</summary>
    public static List<(Response First, Response Second)> Pairs(int count, long seed, ArithmeticOptions? options = null)
    {
        options ??= new ArithmeticOptions();
        options.TrainPrompts = count;
        var task = new ArithmeticTask(options, new TestRunContext(seed));
        var prompts = task.GetPrompts(TaskSplits.Train);
        var responses = new CorpusPolicy().GenerateAsync([.. prompts.SelectMany(p => new[] { p, p })], new GenerationOptions { Seed = seed }, CancellationToken.None).Result;
        var named = responses.Select((r, i) => r with { Id = $"r{i}" }).ToList();
        return [.. Enumerable.Range(0, count).Select(i => (named[2 * i], named[(2 * i) + 1]))];
    }
}

/// <summary>A catalog of loaded plugins plus this test project's own components (the corpus policy).</summary>
internal sealed class TestCatalog(IComponentCatalog plugins, params ComponentDescriptor[] extra) : IComponentCatalog
{
    public static readonly ComponentDescriptor CorpusPolicyComponent =
        new(ComponentKinds.Policy, "corpus", typeof(CorpusPolicy), typeof(NoOptions), "test policy answering from the corpus distribution") { Plugin = "ConstitutionalCritique.Tests" };

    private static readonly Lazy<TestCatalog> Shared = new(() => new TestCatalog(
        BuiltPlugins.Load("Tasks", "Critics", "ConstitutionalCritique", "Feedback", "LanguageModels", "RewardModels", "Ppo"), CorpusPolicyComponent));

    /// <summary>Every plugin this project's runs use, loaded once, plus the corpus policy.</summary>
    public static TestCatalog Instance => Shared.Value;

    public IReadOnlyList<ComponentDescriptor> Components => [.. plugins.Components, .. extra];

    public ComponentDescriptor? Find(string kind, string name) =>
        Array.Find(extra, c => c.Kind == kind && c.Name == name) ?? plugins.Find(kind, name);
}

/// <summary>The shipped constitution (examples/constitutions/arithmetic.json) and variants of it.</summary>
internal static class Constitutions
{
    public static JsonObject Arithmetic() => ExampleRun.Load(Path.Combine("constitutions", "arithmetic.json"));

    /// <summary>The shipped constitution with only the named principles.</summary>
    public static JsonObject Only(params string[] names)
    {
        JsonObject constitution = Arithmetic();
        var kept = constitution["principles"]!.AsArray().Where(p => names.Contains((string)p!["name"]!)).Select(p => p!.DeepClone()).ToArray();
        Assert.Equal(names.Length, kept.Length);
        constitution["principles"] = new JsonArray(kept);
        return constitution;
    }
}
