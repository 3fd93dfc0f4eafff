using System.Globalization;
using AlignFx.Abstractions.Runs;

namespace AlignFx.RewardModels;

/// <summary>
/// Metric names only this plugin logs, under the shared families <see cref="MetricNames.RewardModel"/> (<c>rm/</c>)
/// and <see cref="MetricNames.RewardModelEvaluation"/> (<c>rm_eval/</c>).
/// </summary>
public static class RewardModelMetrics
{
    /// <summary>Labels (pairs) the reward model was trained and validated on.</summary>
    public const string Labels = "rm/labels";
    /// <summary>Epochs trained.</summary>
    public const string Epochs = "rm/epochs";
    /// <summary>Pairs trained on.</summary>
    public const string TrainLabels = "rm/train_labels";
    /// <summary>Pairs held out for validation.</summary>
    public const string ValidationLabels = "rm/validation_labels";
    /// <summary>Held-out accuracy of an ensemble's mean reward.</summary>
    public const string EnsembleValidationAccuracy = "rm/ensemble_val_accuracy";

    /// <summary>An ensemble member's own name for an <c>rm/</c> metric: <c>rm/member&lt;index&gt;/…</c>.</summary>
    /// <param name="index">The member's index.</param>
    /// <param name="name">An <c>rm/</c> name, for example <see cref="MetricNames.RewardModel.Loss"/>.</param>
    /// <returns>The member's name.</returns>
    public static string Member(int index, string name) =>
        string.Create(CultureInfo.InvariantCulture, $"{MetricNames.RewardModel.Prefix}member{index}/{name[MetricNames.RewardModel.Prefix.Length..]}");

    /// <summary>The metrics of <c>evaluate-reward-model</c>.</summary>
    public static class Evaluation
    {
        /// <summary>Fraction of decisive pairs (different gold scores) the reward orders as gold does (a reward tie counts ½).</summary>
        public const string Accuracy = "rm_eval/accuracy";
        /// <summary>Mean σ(r₁ − r₂) put on the gold-better response of decisive pairs.</summary>
        public const string GoldAgreement = "rm_eval/gold_agreement";
        /// <summary>Expected calibration error of σ(r₁ − r₂) against the gold preference on decisive pairs.</summary>
        public const string CalibrationError = "rm_eval/ece";
        /// <summary>The number of decisive pairs measured.</summary>
        public const string DecisivePairs = "rm_eval/decisive_pairs";
        /// <summary>Accuracy on pairs of pretraining-corpus responses.</summary>
        public const string AccuracyPretraining = "rm_eval/accuracy_pretraining";
        /// <summary>Accuracy on the policy's samples minus accuracy on the corpus's.</summary>
        public const string AccuracyShiftGap = "rm_eval/accuracy_shift_gap";
        /// <summary>Prefix of the Pearson correlation of the reward with a gold feature (<c>rm_eval/corr/length</c>).</summary>
        public const string Correlation = "rm_eval/corr/";
        /// <summary>Prefix of the Pearson correlation of the gold score with a gold feature, for comparison.</summary>
        public const string GoldCorrelation = "rm_eval/gold_corr/";
    }
}
