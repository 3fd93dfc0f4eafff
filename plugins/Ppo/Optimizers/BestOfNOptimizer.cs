using AlignFx.Evaluation;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Ppo;

/// <summary>
/// <c>best-of-n</c>: no training; the result is a <see cref="BestOfNPolicy"/> over a frozen snapshot of the request's
/// policy that samples n responses per prompt and answers the one the reward scores highest. Logs the analytic KL
/// log n − (n − 1)/n (<c>objective/kl</c>, <c>sqrt_kl</c>), the proxy reward of the chosen responses and, on the
/// evaluation prompts (or the first training prompts when there are none), gold, proxy and KL at step 0 (the base
/// policy) and step 1 (best-of-n).
/// </summary>
/// <param name="options">The optimiser's options.</param>
public sealed class BestOfNOptimizer(BestOfNOptions options) : IPolicyOptimizer
{
    /// <inheritdoc />
    public async Task<OptimizationResult> OptimizeAsync(OptimizationRequest request, IRunContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        IPolicy basePolicy = request.Policy.Snapshot();
        var policy = new BestOfNPolicy(basePolicy, request.Reward, options.N);
        var measured = request.EvaluationPrompts.Count > 0
            ? request
            : request with { EvaluationPrompts = [.. request.Prompts.Take(options.MeasurePrompts)] };
        var probe = new OptimizationProbe(measured, context, options.MaxNewTokens, "best-of-n/evaluation");
        await probe.MeasureAsync(basePolicy, null, 0, 0, ct).ConfigureAwait(false);
        var results = new Dictionary<string, double>(await probe.MeasureAsync(policy, null, Overoptimisation.BestOfNKl(options.N), 1, ct).ConfigureAwait(false), StringComparer.Ordinal);
        double kl = Overoptimisation.BestOfNKl(options.N);
        results[MetricNames.Objective.Kl] = kl;
        results[MetricNames.SqrtKl] = Math.Sqrt(kl);
        results[PpoMetrics.BestOfNN] = options.N;
        if (results.TryGetValue(MetricNames.Evaluation.ProxyReward, out double proxy))
        {
            results[MetricNames.Proxy.RewardMean] = proxy;
            results[MetricNames.Objective.Scores] = proxy;
        }
        foreach (string name in new[] { MetricNames.Objective.Kl, MetricNames.SqrtKl, MetricNames.Proxy.RewardMean, MetricNames.Objective.Scores, PpoMetrics.BestOfNN })
        {
            if (results.TryGetValue(name, out double value))
            {
                context.Metrics.Log(name, value, 1);
            }
        }
        return new OptimizationResult(policy, results);
    }
}

/// <summary>
/// Best-of-n sampling as a policy: each prompt is answered n times by the base policy (one batch) and the response
/// the reward scores highest is kept (the first on ties). Its KL to the base is log n − (n − 1)/n.
/// </summary>
/// <param name="basePolicy">The policy that samples.</param>
/// <param name="reward">The reward that picks.</param>
/// <param name="n">Samples per prompt.</param>
public sealed class BestOfNPolicy(IPolicy basePolicy, IRewardModel reward, int n) : IPolicy
{
    /// <summary>Samples per prompt.</summary>
    public int N { get; } = n >= 1 ? n : throw new ArgumentOutOfRangeException(nameof(n), "n must be at least 1.");

    /// <summary>The policy that samples.</summary>
    public IPolicy Base { get; } = basePolicy ?? throw new ArgumentNullException(nameof(basePolicy));

    /// <inheritdoc />
    public async Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        Prompt[] repeated = [.. prompts.SelectMany(p => Enumerable.Repeat(p, N))];
        IReadOnlyList<Response> samples = await Base.GenerateAsync(repeated, options, ct).ConfigureAwait(false);
        IReadOnlyList<double> scores = await reward.ScoreAsync(samples, ct).ConfigureAwait(false);
        var chosen = new Response[prompts.Count];
        for (int p = 0; p < prompts.Count; p++)
        {
            int best = p * N;
            for (int i = best + 1; i < (p + 1) * N; i++)
            {
                if (scores[i] > scores[best])
                {
                    best = i;
                }
            }
            chosen[p] = samples[best];
        }
        return chosen;
    }

    /// <summary>
    /// The base policy's token log-probabilities: the exact best-of-n probabilities need the distribution of the
    /// reward over all responses, so this is an approximation (use the analytic KL for KL).
    /// </summary>
    /// <param name="responses">The responses, with their prompts.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>Per-token log-probabilities under the base policy.</returns>
    public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) => Base.ScoreAsync(responses, ct);
}
