namespace AlignFx.Abstractions.Runs;

/// <summary>Receives metric values; the host stores them as series and plots them.</summary>
public interface IMetricSink
{
    /// <summary>Records <paramref name="value"/> of the metric <paramref name="name"/> at <paramref name="step"/>.</summary>
    /// <param name="name">A metric name, preferably one of <see cref="MetricNames"/>; <c>area/metric</c> for new ones.</param>
    /// <param name="value">The value (NaN and infinities are stored as they are).</param>
    /// <param name="step">The step the value belongs to (optimisation step, epoch or sample index), increasing within a series.</param>
    void Log(string name, double value, long step);
}

/// <summary>
/// What a run has logged so far, in the order it was logged, for stages that report on earlier stages (plots of
/// proxy and gold against sqrt(KL), learning curves). The host's run context provides it; a host without one
/// returns null from <see cref="IRunContext.MetricHistory"/>.
/// </summary>
public interface IMetricHistory
{
    /// <summary>The names of every metric logged so far, in the order each was first logged.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>Every value of metric <paramref name="name"/> logged so far (empty when none), in logging order.</summary>
    IReadOnlyList<MetricPoint> Read(string name);
}

/// <summary>One logged value of a metric.</summary>
/// <param name="Stage">The index of the stage that logged it (−1 between stages).</param>
/// <param name="StageId">The manifest id of that stage ("" between stages).</param>
/// <param name="Step">Its x coordinate as logged.</param>
/// <param name="Value">The value.</param>
public readonly record struct MetricPoint(int Stage, string StageId, long Step, double Value);

/// <summary>
/// Metric names, following the field's habits (TRL's PPO names) so that results read like other frameworks'.
/// <c>gold/*</c> is measured with the task's truth, <c>proxy/*</c> with the learned reward: overoptimisation shows
/// as the two diverging.
/// </summary>
public static class MetricNames
{
    /// <summary>KL divergence between the policy and the reference policy (per sequence).</summary>
    public const string Kl = "objective/kl";
    /// <summary>Mean per-token entropy of the policy's samples.</summary>
    public const string Entropy = "objective/entropy";
    /// <summary>Score minus the KL penalty.</summary>
    public const string RlhfReward = "objective/rlhf_reward";
    /// <summary>Mean reward-model score of the policy's samples.</summary>
    public const string Scores = "objective/scores";
    /// <summary>The current KL coefficient.</summary>
    public const string KlCoefficient = "objective/kl_coef";
    /// <summary>Approximate KL between the policy before and after an update.</summary>
    public const string ApproxKl = "policy/approxkl_avg";
    /// <summary>Fraction of tokens whose probability ratio was clipped.</summary>
    public const string ClipFraction = "policy/clipfrac_avg";
    /// <summary>Mean policy loss.</summary>
    public const string PolicyLoss = "loss/policy_avg";
    /// <summary>Mean value loss.</summary>
    public const string ValueLoss = "loss/value_avg";
    /// <summary>Fraction of value predictions clipped.</summary>
    public const string ValueClipFraction = "val/clipfrac_avg";
    /// <summary>Variance of the returns explained by the value head.</summary>
    public const string ValueVarianceExplained = "val/var_explained";
    /// <summary>The learning rate.</summary>
    public const string LearningRate = "lr";
    /// <summary>Square root of the KL, the x axis of overoptimisation plots (Gao et al. 2022).</summary>
    public const string SqrtKl = "sqrt_kl";
    /// <summary>Mean learned (proxy) reward.</summary>
    public const string ProxyRewardMean = "proxy/reward_mean";
    /// <summary>Accuracy measured by the task's gold evaluator.</summary>
    public const string GoldAccuracy = "gold/accuracy";
    /// <summary>Mean gold score.</summary>
    public const string GoldRewardMean = "gold/reward_mean";
    /// <summary>Reward-model training loss.</summary>
    public const string RewardModelLoss = "rm/loss";
    /// <summary>Reward-model training accuracy.</summary>
    public const string RewardModelAccuracy = "rm/accuracy";
    /// <summary>Reward-model held-out accuracy.</summary>
    public const string RewardModelValidationAccuracy = "rm/val_accuracy";
    /// <summary>Pretraining loss.</summary>
    public const string PretrainLoss = "pretrain/loss";
    /// <summary>Pretraining validation loss.</summary>
    public const string PretrainValidationLoss = "pretrain/val_loss";
    /// <summary>Pretraining throughput.</summary>
    public const string PretrainTokensPerSecond = "pretrain/tokens_per_s";
    /// <summary>Total cost of the feedback collected so far.</summary>
    public const string FeedbackCost = "feedback/cost";
}
