using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tensors;
using AlignFx.Tensors.Optim;
using Microsoft.Extensions.Logging;
using static AlignFx.Tensors.torch;

namespace AlignFx.Ppo;

/// <summary>
/// <c>ppo</c>: PPO with a KL penalty for token-level language-model policies, as TRL v0.11's <c>PPOTrainer</c> and
/// OpenAI's lm-human-preferences do it. Each step samples rollouts at temperature 1 (key/value cache), scores them
/// with the reward, takes per-token log-probabilities and values of the rollout policy and log-probabilities of the
/// frozen reference, builds per-token rewards (−β·KL on every token, the score on the last), runs GAE, whitens the
/// advantages, and updates with the clipped policy and value losses for epochs × minibatches. With a constrained
/// reward it also does dual ascent on the Lagrange multipliers (Safe RLHF style). Logs TRL's metric names every step
/// and gold, proxy and KL on the fixed evaluation prompts every <see cref="PpoOptions.EvaluateEvery"/> steps.
/// </summary>
/// <param name="options">The optimiser's options.</param>
public sealed class PpoOptimizer(PpoOptions options) : IPolicyOptimizer
{
    /// <inheritdoc />
    public async Task<OptimizationResult> OptimizeAsync(OptimizationRequest request, IRunContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (request.Prompts.Count == 0)
        {
            throw new ArgumentException("PPO needs training prompts.", nameof(request));
        }
        ITrainablePolicy policy = request.Policy;
        RequireValueHead(policy);
        IPolicy? snapshot = request.Reference is null ? policy.Snapshot() : null;
        IPolicy reference = request.Reference ?? snapshot!;
        nn.Module module = policy.Module;
        bool wasTraining = module.training;
        try
        {
            using AdamW optimizer = optim.AdamW(module.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
            LRScheduler scheduler = options.Schedule switch
            {
                LearningRateSchedule.Linear => optim.lr_scheduler.WarmupLinear(optimizer, options.WarmupSteps, Math.Max(options.Steps, options.WarmupSteps), options.FinalLearningRateFraction),
                LearningRateSchedule.Cosine => optim.lr_scheduler.WarmupCosine(optimizer, options.WarmupSteps, Math.Max(options.Steps, options.WarmupSteps), options.FinalLearningRateFraction),
                _ => optim.lr_scheduler.LambdaLR(optimizer, s => s < options.WarmupSteps ? (s + 1.0) / options.WarmupSteps : 1.0),
            };
            IKlController kl = options.AdaptiveKl
                ? new AdaptiveKlController(options.KlCoefficient, options.KlTarget, options.KlHorizon)
                : new FixedKlController(options.KlCoefficient);
            var state = new RunState(optimizer, scheduler, kl, new RunningMoments(), context.CreateRandom("ppo/prompts"), [.. request.Prompts]);
            var probe = new OptimizationProbe(request, context, options.MaxNewTokens, "ppo/evaluation");
            var last = new Dictionary<string, double>(StringComparer.Ordinal);
            Merge(last, await probe.MeasureAsync(policy, reference, null, 0, ct).ConfigureAwait(false));
            using (IProgressTask progress = context.Progress.Start("ppo", options.Steps))
            {
                for (int step = 1; step <= options.Steps; step++)
                {
                    ct.ThrowIfCancellationRequested();
                    Merge(last, await StepAsync(request, policy, reference, state, context, step, ct).ConfigureAwait(false));
                    if (step % options.EvaluateEvery == 0 || step == options.Steps)
                    {
                        Merge(last, await probe.MeasureAsync(policy, reference, null, step, ct).ConfigureAwait(false));
                    }
                    progress.Advance();
                }
            }
            context.Logger.LogInformation("ppo: {Steps} steps, KL {Kl:F3}, score {Score:F3}, kl_coef {Beta:F4}",
                options.Steps, last.GetValueOrDefault(MetricNames.Objective.Kl), last.GetValueOrDefault(MetricNames.Objective.Scores), kl.Value);
            return new OptimizationResult(policy, last);
        }
        finally
        {
            module.train(wasTraining);
            (snapshot as IDisposable)?.Dispose();
        }
    }

    private sealed record RunState(AdamW Optimizer, LRScheduler Scheduler, IKlController Kl, RunningMoments Scores, Random PromptOrder, Prompt[] Prompts)
    {
        public int Cursor { get; set; } = int.MaxValue;
    }

    /// <summary>One PPO step: rollouts, rewards, advantages, update; returns the logged metrics.</summary>
    private async Task<Dictionary<string, double>> StepAsync(OptimizationRequest request, ITrainablePolicy policy, IPolicy reference,
        RunState state, IRunContext context, int step, CancellationToken ct)
    {
        Prompt[] prompts = NextPrompts(state);
        var generation = new GenerationOptions { MaxNewTokens = options.MaxNewTokens, Temperature = 1, Seed = context.DeriveSeed($"ppo/rollouts/{step}") };
        policy.Module.eval();
        IReadOnlyList<Response> rollouts = await policy.GenerateAsync(prompts, generation, ct).ConfigureAwait(false);
        double[] scores = [.. await request.Reward.ScoreAsync(rollouts, ct).ConfigureAwait(false)];
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        Merge(metrics, await RewardObjectives.ObserveAsync(request.Reward, rollouts, options.MultiplierLearningRate, context.Metrics, step, ct).ConfigureAwait(false));

        // A reference that is not trainable (a served model) scores through the asynchronous contract, before the
        // synchronous tensor work below (dispose scopes belong to one thread).
        IReadOnlyList<float[]>? referenceRows = reference is ITrainablePolicy
            ? null
            : await reference.ScoreAsync(rollouts, ct).ConfigureAwait(false);
        double beta = state.Kl.Value;
        double[] shaped = ShapeScores(scores, state.Scores);
        StepStats stats = Learn(policy, reference as ITrainablePolicy, referenceRows, rollouts, shaped, beta, state.Optimizer,
            context.CreateRandom($"ppo/minibatches/{step}"));
        UpdateStats update = stats.Update;
        int b = rollouts.Count;
        double lr = state.Optimizer.param_groups[0].lr;
        state.Scheduler.step();

        // TRL v0.11 and lm-human-preferences: the controller sees the mean per-sequence k1 KL and n_steps = batch size.
        double meanKl = stats.KlSum / b;
        state.Kl.Update(meanKl, b);
        double scoreMean = scores.Average();
        metrics[MetricNames.Objective.Kl] = meanKl;
        metrics[MetricNames.SqrtKl] = Math.Sqrt(Math.Max(0, meanKl));
        metrics[MetricNames.Objective.Entropy] = stats.TokenCount == 0 ? 0 : stats.EntropySum / stats.TokenCount;
        metrics[MetricNames.Objective.Scores] = scoreMean;
        metrics[MetricNames.Proxy.RewardMean] = scoreMean;
        metrics[MetricNames.Objective.RlhfReward] = scoreMean - (beta * meanKl);
        metrics[PpoMetrics.NonScoreReward] = stats.NonScoreReward / b;
        metrics[MetricNames.Objective.KlCoefficient] = beta;
        metrics[MetricNames.Policy.ApproxKl] = update.ApproxKl;
        metrics[MetricNames.Policy.ClipFraction] = update.ClipFraction;
        metrics[MetricNames.Loss.Policy] = update.PolicyLoss;
        metrics[MetricNames.Loss.Value] = update.ValueLoss;
        metrics[MetricNames.Value.ClipFraction] = update.ValueClipFraction;
        metrics[MetricNames.Value.VarianceExplained] = stats.VarianceExplained;
        metrics[MetricNames.LearningRate] = lr;
        metrics[PpoMetrics.MiniBatches] = update.MiniBatches;
        metrics[PpoMetrics.ResponseLengthMean] = stats.TokenCount / b;
        foreach (var (name, value) in metrics)
        {
            if (!name.StartsWith(PpoMetrics.RewardPrefix, StringComparison.Ordinal) && !name.StartsWith(PpoMetrics.LagrangePrefix, StringComparison.Ordinal))
            {
                context.Metrics.Log(name, value, step);
            }
        }
        return metrics;
    }

    private Prompt[] NextPrompts(RunState state)
    {
        var batch = new Prompt[options.BatchSize];
        for (int i = 0; i < batch.Length; i++)
        {
            if (state.Cursor >= state.Prompts.Length)
            {
                state.PromptOrder.Shuffle(state.Prompts);
                state.Cursor = 0;
            }
            batch[i] = state.Prompts[state.Cursor++];
        }
        return batch;
    }

    /// <summary>Running score scaling, normalisation and clipping (TRL v0.11's <c>use_score_scaling</c>, <c>use_score_norm</c>, <c>score_clip</c>).</summary>
    private double[] ShapeScores(double[] scores, RunningMoments moments)
    {
        double[] shaped = [.. scores];
        if (options.ScoreScaling)
        {
            moments.Update(scores);
            double mean = options.ScoreNormalization ? moments.Mean : 0;
            double std = moments.StdDev + 1e-8;
            for (int i = 0; i < shaped.Length; i++)
            {
                shaped[i] = (shaped[i] - mean) / std;
            }
        }
        if (options.ScoreClip > 0)
        {
            for (int i = 0; i < shaped.Length; i++)
            {
                shaped[i] = Math.Clamp(shaped[i], -options.ScoreClip, options.ScoreClip);
            }
        }
        return shaped;
    }

    /// <summary>What one step's rollouts give the logged metrics, and the update's statistics.</summary>
    private readonly record struct StepStats(double KlSum, double EntropySum, double TokenCount, double NonScoreReward, double VarianceExplained, UpdateStats Update);

    /// <summary>
    /// The step's tensor work on the policy's device: scores the rollouts, builds the per-token rewards (−β·KL on every
    /// token when the penalty is in the reward, the shaped score on each row's last token), runs GAE, whitens, and
    /// updates. Tensors are [batch, tokens] with a 0/1 mask over response tokens (right padding); only scalars for the
    /// metrics come back to the host.
    /// </summary>
    private StepStats Learn(ITrainablePolicy policy, ITrainablePolicy? reference, IReadOnlyList<float[]>? referenceRows,
        IReadOnlyList<Response> rollouts, double[] shaped, double beta, AdamW optimizer, Random minibatchOrder)
    {
        using var scope = NewDisposeScope();
        Batch batch;
        Tensor advantages, returns;
        double[] sums;
        double varianceExplained;
        using (no_grad())
        {
            batch = Score(policy, reference, referenceRows, rollouts);
            // The step's arithmetic runs in float64 on the device, as the host loops it replaced ran in double: a run's
            // numbers then differ from theirs only by the order of double additions, below float32's resolution.
            Tensor mask = batch.Mask.to(ScalarType.Float64), logProbs = batch.LogProbs.to(ScalarType.Float64);
            Tensor referenceLogProbs = batch.ReferenceLogProbs.to(ScalarType.Float64);
            Tensor rewards = options.KlPenalty == KlPenaltyMode.Reward
                ? PpoMath.KlPerToken(logProbs, referenceLogProbs, options.KlEstimator).mul(-beta).mul(mask)
                : zeros_like(mask);
            // One device-to-host copy for the metrics: Σ k1 KL, Σ entropy, tokens, Σ KL penalty (all over the mask).
            sums = stack([
                logProbs.sub(referenceLogProbs).mul(mask).sum(),
                batch.Entropy.to(ScalarType.Float64).mul(mask).sum(),
                mask.sum(),
                rewards.sum(),
            ]).ToArray<double>();
            Tensor score = tensor(shaped, [shaped.Length, 1]);
            rewards = rewards.add(LastTokens(mask).mul(score));
            if (options.WhitenRewards)
            {
                rewards = PpoMath.MaskedWhiten(rewards, mask, shiftMean: false);
            }
            Tensor values = batch.Values.to(ScalarType.Float64).mul(mask);
            (advantages, returns) = PpoMath.Gae(rewards, values, options.Gamma, options.Lambda);
            varianceExplained = PpoMath.VarianceExplained(values, returns, mask);
            if (options.WhitenAdvantages)
            {
                advantages = PpoMath.MaskedWhiten(advantages, mask);
            }
            advantages = advantages.to(ScalarType.Float32);
            returns = returns.to(ScalarType.Float32);
        }
        UpdateStats update = Update(policy, rollouts, batch, advantages, returns, beta, optimizer, minibatchOrder);
        return new StepStats(sums[0], sums[1], sums[2], sums[3], varianceExplained, update);
    }

    /// <summary>1 on each row's last real token of a right-padded 0/1 mask [batch, tokens], else 0.</summary>
    private static Tensor LastTokens(Tensor mask)
    {
        long width = mask.size(1);
        using var scope = NewDisposeScope();
        Tensor next = width > 1
            ? cat([mask.narrow(1, 1, width - 1), zeros_like(mask.narrow(1, 0, 1))], 1)
            : zeros_like(mask);
        return mask.mul(next.rsub(1.0)).MoveToOuterDisposeScope();
    }

    /// <summary>The rollout policy's log-probabilities, entropies and values and the reference's log-probabilities (call under no_grad).</summary>
    private static Batch Score(ITrainablePolicy policy, ITrainablePolicy? reference, IReadOnlyList<float[]>? referenceRows, IReadOnlyList<Response> rollouts)
    {
        TokenScores own = policy.ScoreTokens(rollouts, withValues: true);
        int b = (int)own.LogProbs.size(0), width = (int)own.LogProbs.size(1);
        Tensor referenceLogProbs;
        if (reference is not null)
        {
            referenceLogProbs = reference.ScoreTokens(rollouts).LogProbs;
        }
        else
        {
            var data = new float[b * width];
            for (int r = 0; r < b; r++)
            {
                float[] row = referenceRows![r];
                row.AsSpan(0, Math.Min(width, row.Length)).CopyTo(data.AsSpan(r * width));
            }
            referenceLogProbs = tensor(data, [b, width]);
        }
        if (referenceLogProbs.size(1) != width)
        {
            throw new InvalidOperationException("The reference policy tokenizes the responses differently from the policy; PPO's per-token KL needs the same tokenizer.");
        }
        return new Batch(own.LogProbs, referenceLogProbs, own.Mask, own.Entropy, own.Values!);
    }

    /// <summary>The rollouts' scores, [batch, tokens] each, on the policy's device.</summary>
    private sealed record Batch(Tensor LogProbs, Tensor ReferenceLogProbs, Tensor Mask, Tensor Entropy, Tensor Values)
    {
        public int Count => (int)LogProbs.size(0);
    }

    private readonly record struct UpdateStats(double PolicyLoss, double ValueLoss, double ClipFraction, double ValueClipFraction, double ApproxKl, int MiniBatches);

    /// <summary>Epochs × minibatches of clipped PPO updates on the step's rollouts.</summary>
    private UpdateStats Update(ITrainablePolicy policy, IReadOnlyList<Response> rollouts, Batch batch, Tensor advantages, Tensor returns,
        double beta, AdamW optimizer, Random random)
    {
        nn.Module module = policy.Module;
        module.train();
        int b = batch.Count;
        int size = Math.Max(1, b / options.MiniBatches);
        int[] order = [.. Enumerable.Range(0, b)];
        double policyLoss = 0, valueLoss = 0, clipFraction = 0, valueClipFraction = 0, approxKl = 0;
        int done = 0;
        bool stop = false;
        for (int epoch = 0; epoch < options.Epochs && !stop; epoch++)
        {
            random.Shuffle(order);
            for (int start = 0; start < b && !stop; start += size)
            {
                int[] rows = order[start..Math.Min(b, start + size)];
                using var scope = NewDisposeScope();
                Response[] subset = [.. rows.Select(r => rollouts[r])];
                TokenScores now = policy.ScoreTokens(subset, withValues: true);
                int width = (int)now.LogProbs.size(1);
                Tensor index = tensor([.. rows.Select(r => (long)r)], [rows.Length]);
                // The minibatch's rows of the step's tensors, cut to the minibatch's own width (its longest response).
                Tensor Slice(Tensor source) => source.index_select(0, index).narrow(1, 0, width);
                Tensor mask = now.Mask;
                Tensor oldLogProbs = Slice(batch.LogProbs), oldValues = Slice(batch.Values);
                var (pgLoss, clip, meanRatio) = PpoMath.PolicyLoss(now.LogProbs, oldLogProbs, Slice(advantages), mask, options.ClipRange);
                var (vfLoss, valueClip) = PpoMath.ValueLoss(now.Values!, oldValues, Slice(returns), mask, options.ValueClipRange);
                Tensor loss = pgLoss.add(vfLoss.mul(options.ValueCoefficient));
                if (options.EntropyCoefficient > 0)
                {
                    loss = loss.sub(PpoMath.MaskedMean(now.Entropy, mask).mul(options.EntropyCoefficient));
                }
                if (options.KlPenalty == KlPenaltyMode.Loss && beta > 0)
                {
                    Tensor klTokens = PpoMath.KlPerToken(now.LogProbs, Slice(batch.ReferenceLogProbs), options.KlEstimator);
                    loss = loss.add(PpoMath.MaskedMean(klTokens, mask).mul(beta));
                }
                double stepApproxKl;
                using (no_grad())
                {
                    Tensor diff = now.LogProbs.sub(oldLogProbs);
                    stepApproxKl = 0.5 * PpoMath.MaskedMean(diff.square(), mask).item<float>();
                }
                if (meanRatio <= options.RatioThreshold)
                {
                    optimizer.zero_grad();
                    loss.backward();
                    if (options.MaxGradNorm > 0)
                    {
                        nn.utils.clip_grad_norm_(module.parameters(), options.MaxGradNorm);
                    }
                    optimizer.step();
                }
                policyLoss += pgLoss.item<float>();
                valueLoss += vfLoss.item<float>();
                clipFraction += clip;
                valueClipFraction += valueClip;
                approxKl += stepApproxKl;
                done++;
                stop = options.EarlyStopKl > 0 && stepApproxKl > options.EarlyStopKl;
            }
        }
        optimizer.zero_grad();
        module.eval();
        return new UpdateStats(policyLoss / done, valueLoss / done, clipFraction / done, valueClipFraction / done, approxKl / done, done);
    }

    private static void RequireValueHead(ITrainablePolicy policy)
    {
        // A one-token probe (the end token): cheap, and it fails before any rollout is spent.
        var probe = new Response(new Prompt("ppo-probe", ""), "");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        TokenScores scores = policy.ScoreTokens([probe], withValues: true);
        if (scores.Values is null)
        {
            throw new InvalidOperationException(
                "ppo needs the policy's value head for its critic: set the gpt policy's option \"valueHead\": true (a checkpoint without one starts it freshly initialised).");
        }
    }

    private static void Merge(Dictionary<string, double> into, IReadOnlyDictionary<string, double> from)
    {
        foreach (var (name, value) in from)
        {
            into[name] = value;
        }
    }
}
