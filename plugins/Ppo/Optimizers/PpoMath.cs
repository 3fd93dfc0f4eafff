using AlignFx.Tensors;
using static AlignFx.Tensors.torch;

namespace AlignFx.Ppo;

/// <summary>How the per-token KL between the policy and the reference is estimated from sampled tokens.</summary>
public enum KlEstimator
{
    /// <summary>k1 = log p − log p_ref: unbiased, can be negative per token (TRL's and lm-human-preferences' default).</summary>
    K1,
    /// <summary>k3 = (r − 1) − log r with r = p_ref / p: unbiased and never negative (Schulman's estimator; TRL's <c>kl_estimator="k3"</c>).</summary>
    K3,
}

/// <summary>
/// The numerical pieces of PPO for language models, as in TRL v0.11's <c>PPOTrainer</c> (which follows OpenAI's
/// lm-human-preferences): KL estimators, GAE, masked whitening and the clipped policy and value losses. Tensors are
/// [batch, tokens] with a 0/1 mask over response tokens (right padding).
/// </summary>
public static class PpoMath
{
    /// <summary>The per-token KL estimate from the policy's and the reference's log-probabilities of the sampled tokens.</summary>
    /// <param name="logProbs">log p(token) under the policy.</param>
    /// <param name="referenceLogProbs">log p_ref(token) under the reference.</param>
    /// <param name="estimator">k1 or k3.</param>
    /// <returns>The estimate, same shape.</returns>
    public static Tensor KlPerToken(Tensor logProbs, Tensor referenceLogProbs, KlEstimator estimator)
    {
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(referenceLogProbs);
        if (estimator == KlEstimator.K1)
        {
            return logProbs.sub(referenceLogProbs);
        }
        using var scope = NewDisposeScope();
        var logRatio = referenceLogProbs.sub(logProbs); // log r
        var k3 = logRatio.exp().sub(1.0).sub(logRatio);
        return k3.MoveToOuterDisposeScope();
    }

    /// <summary>The scalar k1 or k3 estimate for one token (the reference for the tensor overload).</summary>
    /// <param name="logProb">log p.</param>
    /// <param name="referenceLogProb">log p_ref.</param>
    /// <param name="estimator">k1 or k3.</param>
    /// <returns>The estimate.</returns>
    public static double KlPerToken(double logProb, double referenceLogProb, KlEstimator estimator) =>
        estimator == KlEstimator.K1
            ? logProb - referenceLogProb
            : Math.Exp(referenceLogProb - logProb) - 1 - (referenceLogProb - logProb);

    /// <summary>
    /// Generalised advantage estimation (Schulman et al. 2016) over each row's tokens, backwards from the end with
    /// the value after the last token taken as 0, as tensor operations on the inputs' device (one [batch] column per
    /// token, as TRL v0.11 does it); padding must carry reward 0 and value 0 (TRL masks them so).
    /// </summary>
    /// <param name="rewards">Per-token rewards [batch, tokens].</param>
    /// <param name="values">Per-token values V(s_t) of the rollout policy [batch, tokens].</param>
    /// <param name="gamma">The discount γ.</param>
    /// <param name="lambda">GAE's λ.</param>
    /// <returns>Advantages and returns (advantages + values), [batch, tokens], not whitened.</returns>
    public static (Tensor Advantages, Tensor Returns) Gae(Tensor rewards, Tensor values, double gamma, double lambda)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(values);
        if (rewards.dim() != 2 || !rewards.shape.SequenceEqual(values.shape))
        {
            throw new ArgumentException($"GAE needs rewards and values of one [batch, tokens] shape; got [{string.Join(", ", rewards.shape)}] and [{string.Join(", ", values.shape)}].");
        }
        long length = rewards.size(1);
        if (length == 0)
        {
            return (zeros_like(rewards), zeros_like(rewards));
        }
        using var scope = NewDisposeScope();
        var reversed = new List<Tensor>((int)length);
        Tensor last = zeros_like(values.select(1, 0));
        for (long t = length - 1; t >= 0; t--)
        {
            Tensor value = values.select(1, t);
            // δ_t = r_t + γ·V_{t+1} − V_t, with V_T = 0; A_t = δ_t + γλ·A_{t+1}.
            Tensor delta = t < length - 1 ? rewards.select(1, t).add(values.select(1, t + 1).mul(gamma)).sub(value) : rewards.select(1, t).sub(value);
            last = delta.add(last.mul(gamma * lambda));
            reversed.Add(last);
        }
        reversed.Reverse();
        Tensor advantages = stack(reversed, 1);
        Tensor returns = advantages.add(values);
        return (advantages.MoveToOuterDisposeScope(), returns.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Whitened masked entries: (x − mean) / sqrt(var + 1e-8), with the mean and the unbiased variance over the mask
    /// (TRL's <c>masked_whiten</c>); with <paramref name="shiftMean"/> false the mean is added back. Padding becomes 0.
    /// Fewer than two masked entries leave the values as they are (masked).
    /// </summary>
    /// <param name="values">The values [batch, tokens].</param>
    /// <param name="mask">1 for real tokens, same shape and type.</param>
    /// <param name="shiftMean">Subtract the mean (advantages) or keep it (rewards).</param>
    /// <returns>A new tensor of the same shape.</returns>
    public static Tensor MaskedWhiten(Tensor values, Tensor mask, bool shiftMean = true)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        Tensor count = mask.sum();
        if (count.to(ScalarType.Float64).item<double>() < 2)
        {
            return values.mul(mask).MoveToOuterDisposeScope();
        }
        Tensor mean = values.mul(mask).sum().div(count);
        Tensor centered = values.sub(mean);
        Tensor variance = centered.square().mul(mask).sum().div(count.sub(1.0));
        Tensor white = centered.mul(variance.add(1e-8).rsqrt());
        if (!shiftMean)
        {
            white = white.add(mean);
        }
        return white.mul(mask).MoveToOuterDisposeScope();
    }

    /// <summary>The mean of <paramref name="values"/> over the mask's ones (TRL's <c>masked_mean</c>).</summary>
    /// <param name="values">The values.</param>
    /// <param name="mask">The 0/1 mask, same shape.</param>
    /// <returns>A scalar tensor.</returns>
    public static Tensor MaskedMean(Tensor values, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        var mean = values.mul(mask).sum().div(mask.sum().clamp(1e-8, double.MaxValue));
        return mean.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// PPO's clipped surrogate: masked mean of max(−A·ρ, −A·clip(ρ, 1 − ε, 1 + ε)) with ρ = exp(log p − log p_old),
    /// and the fraction of tokens where the clipped term was the larger.
    /// </summary>
    /// <param name="logProbs">log p under the policy being trained (differentiable).</param>
    /// <param name="oldLogProbs">log p under the rollout policy.</param>
    /// <param name="advantages">The advantages.</param>
    /// <param name="mask">1 for real tokens.</param>
    /// <param name="clipRange">ε.</param>
    /// <returns>The loss (scalar, differentiable), the clip fraction and the masked mean ratio.</returns>
    public static (Tensor Loss, double ClipFraction, double MeanRatio) PolicyLoss(Tensor logProbs, Tensor oldLogProbs, Tensor advantages, Tensor mask, double clipRange)
    {
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(oldLogProbs);
        ArgumentNullException.ThrowIfNull(advantages);
        using var scope = NewDisposeScope();
        var ratio = logProbs.sub(oldLogProbs).exp();
        var unclipped = advantages.neg().mul(ratio);
        var clipped = advantages.neg().mul(ratio.clamp(1 - clipRange, 1 + clipRange));
        var loss = MaskedMean(unclipped.maximum(clipped), mask);
        double clipFraction, meanRatio;
        using (no_grad())
        {
            using var clippedMore = clipped.gt(unclipped).to(mask.dtype);
            clipFraction = MaskedMean(clippedMore, mask).to(ScalarType.Float64).item<double>();
            meanRatio = MaskedMean(ratio, mask).to(ScalarType.Float64).item<double>();
        }
        return (loss.MoveToOuterDisposeScope(), clipFraction, meanRatio);
    }

    /// <summary>
    /// PPO's clipped value loss: 0.5 · masked mean of max((v − R)², (clip(v, v_old − ε_v, v_old + ε_v) − R)²), and
    /// the fraction of tokens where the clipped term was the larger.
    /// </summary>
    /// <param name="values">The value head's predictions (differentiable).</param>
    /// <param name="oldValues">The rollout's values.</param>
    /// <param name="returns">The GAE returns.</param>
    /// <param name="mask">1 for real tokens.</param>
    /// <param name="clipRange">ε_v.</param>
    /// <returns>The loss (scalar, differentiable) and the clip fraction.</returns>
    public static (Tensor Loss, double ClipFraction) ValueLoss(Tensor values, Tensor oldValues, Tensor returns, Tensor mask, double clipRange)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(oldValues);
        using var scope = NewDisposeScope();
        var low = oldValues.sub(clipRange);
        var high = oldValues.add(clipRange);
        var clippedValues = values.maximum(low).minimum(high);
        var unclippedLoss = values.sub(returns).square();
        var clippedLoss = clippedValues.sub(returns).square();
        var loss = MaskedMean(unclippedLoss.maximum(clippedLoss), mask).mul(0.5);
        double clipFraction;
        using (no_grad())
        {
            using var clippedMore = clippedLoss.gt(unclippedLoss).to(mask.dtype);
            clipFraction = MaskedMean(clippedMore, mask).to(ScalarType.Float64).item<double>();
        }
        return (loss.MoveToOuterDisposeScope(), clipFraction);
    }

    /// <summary>1 − Var(R − V) / Var(R) over the masked tokens, population variances (NaN when the returns do not vary).</summary>
    /// <param name="values">The rollout's values [batch, tokens].</param>
    /// <param name="returns">The returns, same shape.</param>
    /// <param name="mask">1 for real tokens.</param>
    /// <returns>The fraction of the returns' variance the values explain.</returns>
    public static double VarianceExplained(Tensor values, Tensor returns, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(returns);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        double varReturns = MaskedVariance(returns, mask), varResidual = MaskedVariance(returns.sub(values), mask);
        return varReturns == 0 ? double.NaN : 1 - (varResidual / varReturns);
    }

    /// <summary>The population variance over the mask's ones (0 for an empty mask).</summary>
    private static double MaskedVariance(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        Tensor mean = MaskedMean(x, mask);
        return MaskedMean(x.sub(mean).square(), mask).to(ScalarType.Float64).item<double>();
    }
}
