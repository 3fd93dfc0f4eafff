namespace AlignFx.Feedback;

/// <summary>
/// The metrics of the <c>assisted</c> source: every label measured with and without the critiques, on the same queries,
/// annotators and draws. Cumulative over a run's labels, logged after each batch at the step of the labels so far.
/// Agreement is with the gold preference on pairs whose gold scores differ (as <c>feedback/gold_agreement</c>);
/// "uncheckable" items are those beyond the answering annotator's verification limit.
/// </summary>
public static class AssistedMetrics
{
    /// <summary>Agreement with gold of the assisted labels.</summary>
    public const string GoldAgreement = "assisted/gold_agreement";
    /// <summary>Agreement with gold of the same evaluators' labels without the critiques.</summary>
    public const string UnassistedGoldAgreement = "assisted/unassisted_gold_agreement";
    /// <summary>Agreement with gold of the assisted labels on uncheckable items.</summary>
    public const string GoldAgreementUncheckable = "assisted/gold_agreement_uncheckable";
    /// <summary>Agreement with gold of the unassisted labels on uncheckable items.</summary>
    public const string UnassistedGoldAgreementUncheckable = "assisted/unassisted_gold_agreement_uncheckable";
    /// <summary>Agreement with gold of the assisted labels on checkable items (the evaluator's own accuracy).</summary>
    public const string GoldAgreementCheckable = "assisted/gold_agreement_checkable";
    /// <summary>Critiqued claims the evaluator checked and found false, per label.</summary>
    public const string FlawsFoundPerLabel = "assisted/flaws_found_per_label";
    /// <summary>Share of labels that agreed with gold alone and disagree after the critiques.</summary>
    public const string FlippedRightToWrong = "assisted/flipped_right_to_wrong";
    /// <summary>Share of labels that disagreed with gold alone and agree after the critiques.</summary>
    public const string FlippedWrongToRight = "assisted/flipped_wrong_to_right";
    /// <summary>The evaluator's cost per label (its label plus the time it spends on critiques).</summary>
    public const string EvaluatorCostPerLabel = "assisted/evaluator_cost_per_label";
    /// <summary>The critic's cost per label.</summary>
    public const string CriticCostPerLabel = "assisted/critic_cost_per_label";
    /// <summary>The evaluator's time per label, in seconds.</summary>
    public const string SecondsPerLabel = "assisted/seconds_per_label";
    /// <summary>Share of labels on uncheckable items.</summary>
    public const string UncheckableShare = "assisted/uncheckable_share";
    /// <summary>Share of labels on uncheckable items whose two responses differ in gold score (where agreement on uncheckable items is measured).</summary>
    public const string UncheckableDecisiveShare = "assisted/uncheckable_decisive_share";
}
