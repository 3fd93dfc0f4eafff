using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Feedback.Tests;

/// <summary>
/// A stand-in for the pretrained GPT policy (issue 4): answers arithmetic prompts by sampling from the pretraining
/// corpus's behaviour distribution (default rates), seeded by the generation options.
/// </summary>
public sealed class ScriptedCorpusPolicy : IPolicy
{
    /// <inheritdoc />
    public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct)
    {
        Random random = RandomStreams.Create(options.Seed, "scripted-corpus-policy");
        var corpus = new PretrainingCorpusOptions();
        return Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select(p =>
        {
            ArithmeticProblem problem = ArithmeticProblem.TryParse(p.Text) ?? throw new ArgumentException($"not an arithmetic prompt: {p.Text}");
            bool hard = p.Metadata.TryGetValue(ArithmeticTask.HardKey, out string? h) ? h == "1" : problem.Difficulty > 1;
            return new Response(p, PretrainingCorpus.Respond(problem, hard, corpus, random).Text) { Source = "scripted" };
        })]);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<float[]>>([.. responses.Select(r => new float[r.Text.Length])]);
}

/// <summary>The arithmetic task's gold evaluator (it reads the problem from the prompt's text, so any instance will do).</summary>
internal static class TestGold
{
    public static readonly IGoldEvaluator Arithmetic = new ArithmeticTask(new ArithmeticOptions(), new TestRunContext(0));
}

/// <summary>Pairs of corpus-distribution responses, as the stage would ask about them.</summary>
internal static class Pairs
{
    public static List<(Response First, Response Second)> Sample(int count, long seed)
    {
        var task = new ArithmeticTask(new ArithmeticOptions { TrainPrompts = count }, new TestRunContext(seed));
        var policy = new ScriptedCorpusPolicy();
        var prompts = task.GetPrompts(TaskSplits.Train);
        var responses = policy.GenerateAsync([.. prompts.SelectMany(p => new[] { p, p })], new GenerationOptions { Seed = seed }, CancellationToken.None).Result;
        var named = responses.Select((r, i) => r with { Id = $"r{i}" }).ToList();
        return [.. Enumerable.Range(0, count).Select(i => (named[2 * i], named[(2 * i) + 1]))];
    }
}

/// <summary>A catalog of loaded plugins plus this test project's own components (the scripted policy, spies, ...).</summary>
/// <param name="plugins">The loaded plugins.</param>
/// <param name="extra">Components registered by the tests; they win over a plugin's of the same kind and name.</param>
internal sealed class TestCatalog(IComponentCatalog plugins, params ComponentDescriptor[] extra) : IComponentCatalog
{
    /// <summary>The scripted corpus policy as a component named <c>scripted</c>.</summary>
    public static readonly ComponentDescriptor ScriptedPolicy = Describe(ComponentKinds.Policy, "scripted", typeof(ScriptedCorpusPolicy));

    /// <summary>A component of this test project, with no options unless <paramref name="options"/> says otherwise.</summary>
    public static ComponentDescriptor Describe(string kind, string name, Type implementation, Type? options = null) =>
        new(kind, name, implementation, options ?? typeof(NoOptions), $"test component {name}") { Plugin = "Feedback.Tests" };

    public IReadOnlyList<ComponentDescriptor> Components => [.. plugins.Components, .. extra];

    public ComponentDescriptor? Find(string kind, string name) =>
        Array.Find(extra, c => c.Kind == kind && c.Name == name) ?? plugins.Find(kind, name);
}
