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

/// <summary>
/// An optimiser double for the sweep's RL arms: it moves every weight (so restoring them is tested) and logs an
/// evaluation series on the exact curve gold = g0 + d(α − β ln d), with d growing with 1/coefficient.
/// </summary>
internal sealed class ScriptedOptimizer(JsonElement? options) : IPolicyOptimizer
{
    public const double Alpha = 0.3, Beta = 0.2, Gold0 = 0.25;

    public static List<double> CoefficientsSeen { get; } = [];

    public Task<OptimizationResult> OptimizeAsync(OptimizationRequest request, IRunContext context, CancellationToken ct)
    {
        double coefficient = options!.Value.GetProperty("klCoefficient").GetDouble();
        lock (CoefficientsSeen)
        {
            CoefficientsSeen.Add(coefficient);
        }
        using (no_grad())
        {
            foreach (var p in request.Policy.Module.parameters())
            {
                p.data.add_(0.5);
            }
        }
        for (int step = 0; step <= 40; step += 10)
        {
            double d = step / 10.0 / (1 + 10 * coefficient);
            context.Metrics.Log(MetricNames.Evaluation.SqrtKl, d, step);
            context.Metrics.Log(MetricNames.Gold.RewardMean, Gold0 + (d == 0 ? 0 : d * (Alpha - Beta * Math.Log(d))), step);
            context.Metrics.Log(MetricNames.Evaluation.ProxyReward, 2 * d, step);
        }
        return Task.FromResult(new OptimizationResult(request.Policy, new Dictionary<string, double>()));
    }
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
