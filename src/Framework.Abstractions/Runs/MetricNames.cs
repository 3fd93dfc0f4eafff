using System.ComponentModel;

namespace AlignFx.Abstractions.Runs;

/// <summary>
/// The metric names more than one component uses (several plugins, or a plugin and the host's reports), one nested
/// class per family (the part before the <c>/</c>). They follow the field's habits (TRL's PPO names) so that results
/// read like other frameworks'. <c>gold/*</c> is measured with the task's truth, <c>proxy/*</c> and <c>eval/proxy_reward</c>
/// with the learned reward: overoptimisation shows as the two diverging. A name only one plugin logs is defined in that
/// plugin's names class, under one of these families' <c>Prefix</c> where it belongs to one.
/// </summary>
/// <remarks>
/// Contracts 2.3 organised the names by family; the flat names of 2.2 (<c>MetricNames.Kl</c>, ...) remain as obsolete
/// aliases of the same strings so that plugins built against 2.2 keep compiling.
/// </remarks>
public static class MetricNames
{
    /// <summary>Square root of the KL, the x axis of overoptimisation plots (Gao et al. 2022).</summary>
    public const string SqrtKl = "sqrt_kl";

    /// <summary>The learning rate.</summary>
    public const string LearningRate = "lr";

    /// <summary>The RL objective (TRL's <c>objective/*</c>).</summary>
    public static class Objective
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "objective/";
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
    }

    /// <summary>The policy update (TRL's <c>policy/*</c>).</summary>
    public static class Policy
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "policy/";
        /// <summary>Approximate KL between the policy before and after an update.</summary>
        public const string ApproxKl = "policy/approxkl_avg";
        /// <summary>Fraction of tokens whose probability ratio was clipped.</summary>
        public const string ClipFraction = "policy/clipfrac_avg";
    }

    /// <summary>Losses of the policy update (TRL's <c>loss/*</c>).</summary>
    public static class Loss
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "loss/";
        /// <summary>Mean policy loss.</summary>
        public const string Policy = "loss/policy_avg";
        /// <summary>Mean value loss.</summary>
        public const string Value = "loss/value_avg";
    }

    /// <summary>The value head (TRL's <c>val/*</c>).</summary>
    public static class Value
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "val/";
        /// <summary>Fraction of value predictions clipped.</summary>
        public const string ClipFraction = "val/clipfrac_avg";
        /// <summary>Variance of the returns explained by the value head.</summary>
        public const string VarianceExplained = "val/var_explained";
    }

    /// <summary>The learned (proxy) reward during optimisation.</summary>
    public static class Proxy
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "proxy/";
        /// <summary>Mean learned (proxy) reward.</summary>
        public const string RewardMean = "proxy/reward_mean";
    }

    /// <summary>
    /// Measured with the task's truth (the gold evaluator and its <see cref="Tasks.GoldFeatures"/>): how accurate a
    /// policy is where an evaluator can check and where it cannot, how sycophantic and overconfident it is.
    /// </summary>
    public static class Gold
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "gold/";
        /// <summary>Fraction of responses that are correct.</summary>
        public const string Accuracy = "gold/accuracy";
        /// <summary>Mean gold score.</summary>
        public const string RewardMean = "gold/reward_mean";
        /// <summary>Accuracy on prompts whose difficulty is within the verification limit.</summary>
        public const string AccuracyCheckable = "gold/accuracy_checkable";
        /// <summary>Accuracy on prompts beyond the verification limit (where reward hacking shows).</summary>
        public const string AccuracyUncheckable = "gold/accuracy_uncheckable";
        /// <summary>Fraction of prompts within the verification limit.</summary>
        public const string CheckableFraction = "gold/checkable_fraction";
        /// <summary>Among responses to prompts with a wrong hint, the fraction that agree with the hint.</summary>
        public const string SycophancyRate = "gold/sycophancy_rate";
        /// <summary>Among wrong responses, the fraction phrased confidently.</summary>
        public const string ConfidentWhenWrong = "gold/confident_when_wrong";
        /// <summary>Fraction of responses phrased confidently.</summary>
        public const string ConfidentRate = "gold/confident_rate";
        /// <summary>Fraction of responses that show working steps.</summary>
        public const string StepsRate = "gold/steps_rate";
        /// <summary>Mean response length in characters.</summary>
        public const string MeanLength = "gold/mean_length";
    }

    /// <summary>
    /// An optimiser's measurements of the policy on fixed evaluation prompts with a fixed sampling seed, logged at the
    /// same steps as the <see cref="Gold"/> metrics so that gold and proxy can be plotted against sqrt(KL).
    /// </summary>
    public static class Evaluation
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "eval/";
        /// <summary>Mean proxy (learned) reward of the policy's samples on the evaluation prompts.</summary>
        public const string ProxyReward = "eval/proxy_reward";
        /// <summary>KL to the reference per sequence on the same samples (analytic for best-of-n).</summary>
        public const string Kl = "eval/kl";
        /// <summary>Its square root, the x axis of the overoptimisation plots.</summary>
        public const string SqrtKl = "eval/sqrt_kl";
        /// <summary>
        /// 1 when a base → final evaluation shows reward hacking (proxy up while gold falls beyond its noise), else 0;
        /// logged once per run so that a compare counts how often each arm hacks.
        /// </summary>
        public const string RewardHacking = "eval/reward_hacking";
    }

    /// <summary>Collected feedback (labels) and what it cost.</summary>
    public static class Feedback
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "feedback/";
        /// <summary>Number of feedback records.</summary>
        public const string Labels = "feedback/labels";
        /// <summary>Summed cost of the feedback records.</summary>
        public const string Cost = "feedback/cost";
        /// <summary>Mean cost of one feedback record.</summary>
        public const string CostPerLabel = "feedback/cost_per_label";
        /// <summary>Mean agreement of the labels with the gold preference, over pairs whose gold scores differ.</summary>
        public const string GoldAgreement = "feedback/gold_agreement";
    }

    /// <summary>Reward-model training; a reward model's own further names use this prefix.</summary>
    public static class RewardModel
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "rm/";
        /// <summary>Training loss.</summary>
        public const string Loss = "rm/loss";
        /// <summary>Training accuracy.</summary>
        public const string Accuracy = "rm/accuracy";
        /// <summary>Held-out loss.</summary>
        public const string ValidationLoss = "rm/val_loss";
        /// <summary>Held-out accuracy.</summary>
        public const string ValidationAccuracy = "rm/val_accuracy";
    }

    /// <summary>A reward model measured against the truth after training (the names are the evaluating plugin's).</summary>
    public static class RewardModelEvaluation
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "rm_eval/";
    }

    /// <summary>Pretraining of the policy.</summary>
    public static class Pretrain
    {
        /// <summary>The family's prefix.</summary>
        public const string Prefix = "pretrain/";
        /// <summary>Training loss.</summary>
        public const string Loss = "pretrain/loss";
        /// <summary>Validation loss.</summary>
        public const string ValidationLoss = "pretrain/val_loss";
        /// <summary>Throughput.</summary>
        public const string TokensPerSecond = "pretrain/tokens_per_s";
    }

    // The flat names of contracts 2.2, kept for plugins built against it.

    /// <summary>Obsolete: <see cref="Objective.Kl"/>.</summary>
    [Obsolete("Use MetricNames.Objective.Kl."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string Kl = Objective.Kl;
    /// <summary>Obsolete: <see cref="Objective.Entropy"/>.</summary>
    [Obsolete("Use MetricNames.Objective.Entropy."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string Entropy = Objective.Entropy;
    /// <summary>Obsolete: <see cref="Objective.RlhfReward"/>.</summary>
    [Obsolete("Use MetricNames.Objective.RlhfReward."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string RlhfReward = Objective.RlhfReward;
    /// <summary>Obsolete: <see cref="Objective.Scores"/>.</summary>
    [Obsolete("Use MetricNames.Objective.Scores."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string Scores = Objective.Scores;
    /// <summary>Obsolete: <see cref="Objective.KlCoefficient"/>.</summary>
    [Obsolete("Use MetricNames.Objective.KlCoefficient."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string KlCoefficient = Objective.KlCoefficient;
    /// <summary>Obsolete: <see cref="Policy.ApproxKl"/>.</summary>
    [Obsolete("Use MetricNames.Policy.ApproxKl."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string ApproxKl = Policy.ApproxKl;
    /// <summary>Obsolete: <see cref="Policy.ClipFraction"/>.</summary>
    [Obsolete("Use MetricNames.Policy.ClipFraction."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string ClipFraction = Policy.ClipFraction;
    /// <summary>Obsolete: <see cref="Loss.Policy"/>.</summary>
    [Obsolete("Use MetricNames.Loss.Policy."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string PolicyLoss = Loss.Policy;
    /// <summary>Obsolete: <see cref="Loss.Value"/>.</summary>
    [Obsolete("Use MetricNames.Loss.Value."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string ValueLoss = Loss.Value;
    /// <summary>Obsolete: <see cref="Value.ClipFraction"/>.</summary>
    [Obsolete("Use MetricNames.Value.ClipFraction."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string ValueClipFraction = Value.ClipFraction;
    /// <summary>Obsolete: <see cref="Value.VarianceExplained"/>.</summary>
    [Obsolete("Use MetricNames.Value.VarianceExplained."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string ValueVarianceExplained = Value.VarianceExplained;
    /// <summary>Obsolete: <see cref="Proxy.RewardMean"/>.</summary>
    [Obsolete("Use MetricNames.Proxy.RewardMean."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string ProxyRewardMean = Proxy.RewardMean;
    /// <summary>Obsolete: <see cref="Gold.Accuracy"/>.</summary>
    [Obsolete("Use MetricNames.Gold.Accuracy."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string GoldAccuracy = Gold.Accuracy;
    /// <summary>Obsolete: <see cref="Gold.RewardMean"/>.</summary>
    [Obsolete("Use MetricNames.Gold.RewardMean."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string GoldRewardMean = Gold.RewardMean;
    /// <summary>Obsolete: <see cref="RewardModel.Loss"/>.</summary>
    [Obsolete("Use MetricNames.RewardModel.Loss."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string RewardModelLoss = RewardModel.Loss;
    /// <summary>Obsolete: <see cref="RewardModel.Accuracy"/>.</summary>
    [Obsolete("Use MetricNames.RewardModel.Accuracy."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string RewardModelAccuracy = RewardModel.Accuracy;
    /// <summary>Obsolete: <see cref="RewardModel.ValidationAccuracy"/>.</summary>
    [Obsolete("Use MetricNames.RewardModel.ValidationAccuracy."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string RewardModelValidationAccuracy = RewardModel.ValidationAccuracy;
    /// <summary>Obsolete: <see cref="Pretrain.Loss"/>.</summary>
    [Obsolete("Use MetricNames.Pretrain.Loss."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string PretrainLoss = Pretrain.Loss;
    /// <summary>Obsolete: <see cref="Pretrain.ValidationLoss"/>.</summary>
    [Obsolete("Use MetricNames.Pretrain.ValidationLoss."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string PretrainValidationLoss = Pretrain.ValidationLoss;
    /// <summary>Obsolete: <see cref="Pretrain.TokensPerSecond"/>.</summary>
    [Obsolete("Use MetricNames.Pretrain.TokensPerSecond."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string PretrainTokensPerSecond = Pretrain.TokensPerSecond;
    /// <summary>Obsolete: <see cref="Feedback.Cost"/>.</summary>
    [Obsolete("Use MetricNames.Feedback.Cost."), EditorBrowsable(EditorBrowsableState.Never)]
    public const string FeedbackCost = Feedback.Cost;
}
