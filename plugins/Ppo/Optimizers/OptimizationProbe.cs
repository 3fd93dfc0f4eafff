using AlignFx.Evaluation;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Ppo;

/// <summary>
/// Measures a policy on the request's fixed evaluation prompts with one fixed sampling seed (the same samples'
/// noise at every measurement): gold metrics under the request's verification limit, the proxy reward and the KL to
/// the reference, all at the same points so gold and proxy can be plotted against sqrt(KL).
/// </summary>
internal sealed class OptimizationProbe(OptimizationRequest request, IRunContext context, int maxNewTokens, string seedStream)
{
    private readonly long _seed = context.DeriveSeed(seedStream);

    /// <summary>Whether there is anything to measure on.</summary>
    public bool Enabled => request.EvaluationPrompts.Count > 0;

    /// <summary>Samples, measures and logs at <paramref name="step"/>.</summary>
    /// <param name="policy">The policy to measure.</param>
    /// <param name="reference">The KL reference (ignored when <paramref name="analyticKl"/> is given).</param>
    /// <param name="analyticKl">A known KL (best-of-n), or null to estimate it from the samples.</param>
    /// <param name="step">The metric step.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>The logged values.</returns>
    public async Task<IReadOnlyDictionary<string, double>> MeasureAsync(IPolicy policy, IPolicy? reference, double? analyticKl, long step, CancellationToken ct)
    {
        var results = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!Enabled)
        {
            return results;
        }
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens, Temperature = 1, Seed = _seed };
        IReadOnlyList<Response> responses = await policy.GenerateAsync(request.EvaluationPrompts, options, ct).ConfigureAwait(false);
        if (request.Gold is { } gold)
        {
            foreach (var (name, value) in TaskMetrics.MeasureResponses([.. responses.Select(gold.Evaluate)], request.VerificationLimit))
            {
                results[name] = value;
            }
        }
        IReadOnlyList<double> proxy = await request.Reward.ScoreAsync(responses, ct).ConfigureAwait(false);
        results[MetricNames.Evaluation.ProxyReward] = proxy.Average();
        double? kl = analyticKl;
        if (kl is null && reference is not null)
        {
            kl = await SequenceKlAsync(policy, reference, responses, ct).ConfigureAwait(false);
        }
        if (kl is { } k)
        {
            results[MetricNames.Evaluation.Kl] = k;
            results[MetricNames.Evaluation.SqrtKl] = Math.Sqrt(Math.Max(0, k));
        }
        foreach (var (name, value) in results)
        {
            context.Metrics.Log(name, value, step);
        }
        return results;
    }

    /// <summary>Mean over responses of Σ_t (log p − log p_ref), the k1 estimate of KL(policy ‖ reference) per sequence.</summary>
    private static async Task<double> SequenceKlAsync(IPolicy policy, IPolicy reference, IReadOnlyList<Response> responses, CancellationToken ct)
    {
        IReadOnlyList<float[]> own = responses.All(r => r.TokenLogProbs is not null)
            ? [.. responses.Select(r => r.TokenLogProbs!.ToArray())]
            : await policy.ScoreAsync(responses, ct).ConfigureAwait(false);
        IReadOnlyList<float[]> theirs = await reference.ScoreAsync(responses, ct).ConfigureAwait(false);
        double total = 0;
        for (int i = 0; i < responses.Count; i++)
        {
            int count = Math.Min(own[i].Length, theirs[i].Length);
            for (int t = 0; t < count; t++)
            {
                total += own[i][t] - (double)theirs[i][t];
            }
        }
        return total / responses.Count;
    }
}

/// <summary>Scores of multi-objective and constrained rewards during optimisation, and the dual ascent on the multipliers.</summary>
internal static class RewardObjectives
{
    /// <summary>
    /// Logs each objective's mean (<c>reward/&lt;objective&gt;</c>) when the reward has several; for a constrained
    /// reward, then moves each multiplier by dual ascent, λ ← max(0, λ + η·(mean C − threshold)), and logs it
    /// (<c>lagrange/&lt;objective&gt;</c>).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, double>> ObserveAsync(IRewardModel reward, IReadOnlyList<Response> responses,
        double multiplierLearningRate, IMetricSink metrics, long step, CancellationToken ct)
    {
        var logged = new Dictionary<string, double>(StringComparer.Ordinal);
        if (reward is not IMultiObjectiveRewardModel multi)
        {
            return logged;
        }
        IReadOnlyDictionary<string, double[]> objectives = await multi.ScoreObjectivesAsync(responses, ct).ConfigureAwait(false);
        foreach (string name in multi.Objectives)
        {
            if (objectives.TryGetValue(name, out double[]? values) && values.Length > 0)
            {
                logged[PpoMetrics.RewardPrefix + name] = values.Average();
            }
        }
        if (reward is IConstrainedRewardModel constrained)
        {
            foreach (RewardConstraint constraint in constrained.Constraints)
            {
                if (!objectives.TryGetValue(constraint.Objective, out double[]? values) || values.Length == 0)
                {
                    throw new InvalidOperationException($"The constrained reward did not score its constrained objective '{constraint.Objective}'.");
                }
                constraint.Multiplier = Math.Max(0, constraint.Multiplier + (multiplierLearningRate * (values.Average() - constraint.Threshold)));
                logged[PpoMetrics.LagrangePrefix + constraint.Objective] = constraint.Multiplier;
            }
        }
        foreach (var (name, value) in logged)
        {
            metrics.Log(name, value, step);
        }
        return logged;
    }
}
