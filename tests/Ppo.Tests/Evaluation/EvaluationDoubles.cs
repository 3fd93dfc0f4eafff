using AlignFx.Evaluation;
using System.Text.Json;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.LanguageModels;
using AlignFx.Tasks.Arithmetic;
using static AlignFx.Tensors.torch;

namespace AlignFx.Ppo.Tests.Evaluation;

/// <summary>A proxy reward that scores a response by its length in characters, times a factor.</summary>
internal sealed class LengthReward(double factor = 1) : IRewardModel
{
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<double>>([.. responses.Select(r => factor * r.Text.Length)]);
}

internal static class Small
{
    public static ArithmeticTask Task(long seed = 5) =>
        new(new ArithmeticOptions { TrainPrompts = 200, ValidationPrompts = 40, TestPrompts = 40 }, new TestRunContext(seed));

    /// <summary>A small random-weight gpt over the task's alphabet (sampling is what is under test, not quality).</summary>
    public static GptPolicy Policy(ITask task, long seed = 5) =>
        new(new GptOptions { Layers = 1, DModel = 32, Heads = 2, Context = 96 }, new TestRunContext(seed), task);

    public static float[][] Weights(GptPolicy policy) =>
        [.. policy.Module.state_dict().Values.Select(t => t.ToArray<float>())];
}
