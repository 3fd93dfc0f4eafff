namespace AlignFx.Critics;

/// <summary>The names this plugin's components are registered under (the manifest's vocabulary).</summary>
public static class CriticComponents
{
    /// <summary>The simulated critic with a stated skill.</summary>
    public const string Scripted = ScriptedCritic.Name;
    /// <summary>The learned critic: a policy fine-tuned by <see cref="TrainCritic"/> on critiques the task's claims give.</summary>
    public const string Trained = "trained";
    /// <summary>Any chat model asked the principle's critique request.</summary>
    public const string Chat = "chat";
    /// <summary>The stage that fine-tunes the trained critic's policy.</summary>
    public const string TrainCritic = "train-critic";
    /// <summary>The policy the train-critic stage fine-tunes unless told otherwise (the LanguageModels plugin's, found by name).</summary>
    public const string DefaultCriticPolicy = "gpt";
}

/// <summary>
/// Metric names of this plugin. The train-critic stage's held-out measurements compare each critique with the truth of
/// the response's claims (the task's claim checker with no verification limit), never with gold features.
/// </summary>
public static class CriticMetrics
{
    /// <summary>Training loss per step (mean negative log-probability of the critique's tokens).</summary>
    public const string Loss = "critic/loss";
    /// <summary>Training examples (claims of the training responses, each with the claim checker's verdict).</summary>
    public const string TrainExamples = "critic/train_examples";
    /// <summary>Share of the training claims that are false.</summary>
    public const string TrainWrongRate = "critic/train_wrong_rate";
    /// <summary>Share of the held-out claims whose verdict is right (a verdict outside the grammar counts as "right").</summary>
    public const string ClaimAccuracy = "critic/claim_accuracy";
    /// <summary>Share of the held-out claims that are true (the accuracy of a critic that calls every claim right).</summary>
    public const string ClaimTrueRate = "critic/baseline/claim_true_rate";
    /// <summary>Held-out responses measured.</summary>
    public const string HeldOut = "critic/held_out";
    /// <summary>
    /// Share of held-out responses the critic gets right: a flawless one not flagged, a flawed one flagged at a false claim.
    /// </summary>
    public const string Accuracy = "critic/accuracy";
    /// <summary>Share of held-out responses without a false claim that the critic does not flag.</summary>
    public const string Specificity = "critic/specificity";
    /// <summary>
    /// The mean of recall and specificity: 0.5 for any critic whose verdict ignores the response (always "no error", or
    /// guessing), whatever the share of flawed responses; 1 for a perfect critic.
    /// </summary>
    public const string BalancedAccuracy = "critic/balanced_accuracy";
    /// <summary>Share of flagged held-out responses whose critique points at a false claim.</summary>
    public const string Precision = "critic/precision";
    /// <summary>Share of held-out responses with a false claim that the critic flags at a false claim.</summary>
    public const string Recall = "critic/recall";
    /// <summary>Share of held-out responses the critic flags.</summary>
    public const string FlagRate = "critic/flag_rate";
    /// <summary>Share of held-out responses with a false claim.</summary>
    public const string FlawedRate = "critic/flawed_rate";
    /// <summary>Share of held-out replies outside the critique grammar (counted as no critique).</summary>
    public const string OutsideGrammarRate = "critic/outside_grammar_rate";
    /// <summary>Accuracy of a critic that always says "no error" (the share of flawless held-out responses).</summary>
    public const string NoErrorAccuracy = "critic/baseline/no_error_accuracy";
    /// <summary>Expected accuracy of a critic that flags at the trained critic's rate, at a claim drawn uniformly.</summary>
    public const string GuessAccuracy = "critic/baseline/guess_accuracy";
    /// <summary>Expected precision of that guessing critic.</summary>
    public const string GuessPrecision = "critic/baseline/guess_precision";
    /// <summary>Expected recall of that guessing critic.</summary>
    public const string GuessRecall = "critic/baseline/guess_recall";
    /// <summary>Chat critic: replies outside the grammar so far (logged when one occurs, at step = critiques asked).</summary>
    public const string ChatOutsideGrammar = "critic/chat/outside_grammar";
    /// <summary>Chat critic: replies that did not come within the timeout so far (logged when one occurs).</summary>
    public const string ChatTimeouts = "critic/chat/timeouts";
}

/// <summary>Artifact keys of this plugin.</summary>
public static class CriticKeys
{
    /// <summary>Where train-critic leaves the fine-tuned critic policy (an <c>IPolicy</c>) and where the trained critic looks for it by default.</summary>
    public const string CriticModel = "critic";
    /// <summary>The key of train-critic's <c>EvaluationResults</c> (its held-out measurements).</summary>
    public const string TrainCriticResults = "train-critic";
}
