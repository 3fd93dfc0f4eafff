using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Ppo;

/// <summary>Where the KL penalty enters PPO.</summary>
public enum KlPenaltyMode
{
    /// <summary>−β·KL per token added to the reward before GAE (TRL v0.11, lm-human-preferences).</summary>
    Reward,
    /// <summary>β·(masked mean KL) added to the loss, differentiated through the policy's log-probabilities (as OpenRLHF and verl offer; use k3).</summary>
    Loss,
}

/// <summary>The learning-rate schedule over the PPO steps.</summary>
public enum LearningRateSchedule
{
    /// <summary>Constant after warmup (TRL v0.11).</summary>
    Constant,
    /// <summary>Linear decay to the final fraction after warmup.</summary>
    Linear,
    /// <summary>Half a cosine to the final fraction after warmup.</summary>
    Cosine,
}

/// <summary>
/// Options of the <c>ppo</c> optimiser. Where a default differs from TRL v0.11's <c>PPOConfig</c> or
/// lm-human-preferences (l-h-p), the reference values are given: ours are sized for the small embedded policies,
/// which need a larger learning rate and fewer rollouts per step than GPT-2.
/// </summary>
public sealed class PpoOptions
{
    /// <summary>PPO steps: each samples <see cref="BatchSize"/> rollouts and updates on them (the optimisation budget).</summary>
    [Range(1, 1_000_000), Budget(Budgets.OptimizationSteps)]
    public int Steps { get; set; } = 100;

    /// <summary>Rollouts (prompts answered) per step. TRL v0.11 128, l-h-p 64.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 64;

    /// <summary>Passes over each step's rollouts (TRL v0.11 and l-h-p: 4).</summary>
    [Range(1, 100)]
    public int Epochs { get; set; } = 4;

    /// <summary>Minibatches per epoch, each one optimiser step (TRL v0.11 and l-h-p: 1).</summary>
    [Range(1, 1000)]
    public int MiniBatches { get; set; } = 1;

    /// <summary>Adam's learning rate. TRL v0.11 1.41e-5 and l-h-p 5e-6 (GPT-2 sizes); ours 1e-4 for the small gpt.</summary>
    [Range(1e-9, 1.0)]
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>Decoupled weight decay (TRL v0.11's Adam: 0).</summary>
    [Range(0.0, 1.0)]
    public double WeightDecay { get; set; }

    /// <summary>Linear warmup, in PPO steps (TRL v0.11: 0).</summary>
    [Range(0, 1_000_000)]
    public int WarmupSteps { get; set; }

    /// <summary>The schedule after warmup (TRL v0.11: constant).</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>The learning rate at the last step as a fraction of the peak (linear and cosine schedules).</summary>
    [Range(0.0, 1.0)]
    public double FinalLearningRateFraction { get; set; }

    /// <summary>The global gradient norm is clipped to this; 0: no clipping (TRL v0.11: none; ours 1).</summary>
    [Range(0.0, 1e6)]
    public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>The policy ratio's clip range ε (TRL v0.11, l-h-p: 0.2).</summary>
    [Range(0.0, 10.0)]
    public double ClipRange { get; set; } = 0.2;

    /// <summary>The value prediction's clip range around the rollout's values (TRL v0.11, l-h-p: 0.2).</summary>
    [Range(0.0, 1e6)]
    public double ValueClipRange { get; set; } = 0.2;

    /// <summary>The value loss's weight (TRL v0.11, l-h-p: 0.1).</summary>
    [Range(0.0, 1e3)]
    public double ValueCoefficient { get; set; } = 0.1;

    /// <summary>The weight of an entropy bonus in the loss (TRL v0.11 has none: 0).</summary>
    [Range(0.0, 10.0)]
    public double EntropyCoefficient { get; set; }

    /// <summary>GAE's discount γ (TRL v0.11, l-h-p: 1).</summary>
    [Range(0.0, 1.0)]
    public double Gamma { get; set; } = 1.0;

    /// <summary>GAE's λ (TRL v0.11, l-h-p: 0.95).</summary>
    [Range(0.0, 1.0)]
    public double Lambda { get; set; } = 0.95;

    /// <summary>The KL coefficient β at the start (TRL v0.11 0.2, l-h-p 0.15; TRL today 0.05 fixed).</summary>
    [Range(0.0, 1e3)]
    public double KlCoefficient { get; set; } = 0.2;

    /// <summary>Adapt β with Ziegler et al.'s controller (TRL v0.11 and l-h-p: adaptive); false: β stays fixed.</summary>
    public bool AdaptiveKl { get; set; } = true;

    /// <summary>The adaptive controller's KL target per sequence, in nats (TRL v0.11, l-h-p: 6).</summary>
    [Range(1e-6, 1e6)]
    public double KlTarget { get; set; } = 6;

    /// <summary>The adaptive controller's horizon, in sequences (TRL v0.11, l-h-p: 10,000).</summary>
    [Range(1.0, 1e9)]
    public double KlHorizon { get; set; } = 10_000;

    /// <summary>The per-token KL estimator of the penalty (TRL v0.11 and l-h-p: k1).</summary>
    public KlEstimator KlEstimator { get; set; } = KlEstimator.K1;

    /// <summary>Whether the KL penalty enters the reward (TRL v0.11, l-h-p) or the loss.</summary>
    public KlPenaltyMode KlPenalty { get; set; } = KlPenaltyMode.Reward;

    /// <summary>Whiten the advantages over each step's tokens (TRL v0.11, l-h-p: yes).</summary>
    public bool WhitenAdvantages { get; set; } = true;

    /// <summary>Whiten the per-token rewards, keeping their mean (TRL v0.11 <c>whiten_rewards</c>: no; l-h-p: yes).</summary>
    public bool WhitenRewards { get; set; }

    /// <summary>Divide scores by their running standard deviation (TRL v0.11 <c>use_score_scaling</c>: no).</summary>
    public bool ScoreScaling { get; set; }

    /// <summary>With <see cref="ScoreScaling"/>, also subtract the running mean (TRL v0.11 <c>use_score_norm</c>: no).</summary>
    public bool ScoreNormalization { get; set; }

    /// <summary>Clip (scaled) scores to ±this; 0: no clipping (TRL v0.11 <c>score_clip</c>: none; OpenRLHF 10).</summary>
    [Range(0.0, 1e6)]
    public double ScoreClip { get; set; }

    /// <summary>
    /// Stop a step's update early once the approximate KL between the policy before and after it, ½·mean((log p −
    /// log p_old)²), exceeds this; 0: never (TRL v0.11 <c>early_stopping</c>: off).
    /// </summary>
    [Range(0.0, 1e6)]
    public double EarlyStopKl { get; set; }

    /// <summary>Skip a minibatch whose mean probability ratio exceeds this (TRL v0.11 <c>ratio_threshold</c>: 10).</summary>
    [Range(1.0, 1e9)]
    public double RatioThreshold { get; set; } = 10;

    /// <summary>The most tokens per rollout.</summary>
    [Range(1, 4096)]
    public int MaxNewTokens { get; set; } = 48;

    /// <summary>Steps between measurements on the evaluation prompts (also before the first step and after the last).</summary>
    [Range(1, 1_000_000)]
    public int EvaluateEvery { get; set; } = 10;

    /// <summary>
    /// The dual-ascent step η of the Lagrange multipliers when the reward is an <c>IConstrainedRewardModel</c>:
    /// λ ← max(0, λ + η·(mean C − threshold)) after each step.
    /// </summary>
    [Range(0.0, 1e6)]
    public double MultiplierLearningRate { get; set; } = 0.05;
}

/// <summary>Options of the <c>best-of-n</c> optimiser.</summary>
public sealed class BestOfNOptions
{
    /// <summary>Samples per prompt; the highest-reward one is answered.</summary>
    [Range(1, 4096)]
    public int N { get; set; } = 4;

    /// <summary>The most tokens per sample.</summary>
    [Range(1, 4096)]
    public int MaxNewTokens { get; set; } = 48;

    /// <summary>Training prompts used for the metrics when the request has no evaluation prompts.</summary>
    [Range(1, 100_000)]
    public int MeasurePrompts { get; set; } = 128;
}
