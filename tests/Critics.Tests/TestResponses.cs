using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Critics.Tests;

/// <summary>Responses to arithmetic prompts, as a pretrained policy writes them, and helpers to critique them.</summary>
internal static class TestResponses
{
    /// <summary>The arithmetic task with three-operation hard items, so that a working step can be easier than its problem.</summary>
    public static ArithmeticTask Task(int prompts, long seed) =>
        new(new ArithmeticOptions { TrainPrompts = prompts, HardOperations = 3, Operators = "+-" }, new TestRunContext(seed));

    /// <summary>One corpus-distribution response per prompt, with ids <c>r0</c>, <c>r1</c>, ...</summary>
    public static List<Response> Sample(int count, long seed, double stepsRate = 0.6)
    {
        ArithmeticTask task = Task(count, seed);
        var corpus = new PretrainingCorpusOptions { StepsRate = stepsRate };
        Random random = new(unchecked((int)seed));
        return [.. task.GetPrompts(TaskSplits.Train).Select((p, i) =>
        {
            ArithmeticProblem problem = ArithmeticProblem.TryParse(p.Text)!;
            return new Response(p, PretrainingCorpus.Respond(problem, problem.Difficulty > 1, corpus, random).Text) { Id = $"r{i}" };
        })];
    }

    /// <summary>The indices of a response's false claims, by the claim checker with no verification limit.</summary>
    public static int[] FalseClaims(IClaimChecker claims, Response response)
    {
        IReadOnlyList<Claim> all = claims.Claims(response);
        return [.. Enumerable.Range(0, all.Count).Where(i => claims.Check(all[i], double.PositiveInfinity) == false)];
    }

    public static ScriptedCritic Critic(ScriptedCriticOptions options, long seed = 3, ITask? task = null) =>
        new(options, task ?? Task(1, 0), new TestRunContext(seed));

    public static Critique Critique(this ICritic critic, Response response, Principle? principle = null) =>
        critic.CritiqueAsync(response, principle, CancellationToken.None).GetAwaiter().GetResult();
}
