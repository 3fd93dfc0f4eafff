using AlignFx.Abstractions.Runs;

namespace AlignFx.ConstitutionalCritique;

/// <summary>The names this plugin's components are registered under (the manifest's vocabulary).</summary>
public static class CaiComponents
{
    /// <summary>The simulated AI labeller (a feedback source that can also judge under a principle).</summary>
    public const string SimulatedAi = "simulated-ai";
    /// <summary>AI feedback under sampled principles, both orders, as soft labels (RLAIF).</summary>
    public const string AiFeedback = "ai-feedback";
    /// <summary>The SL-CAI stage: sample, then rounds of critique and revision.</summary>
    public const string CritiqueRevise = "critique-revise";
    /// <summary>The stage that measures labels' agreement with gold per principle.</summary>
    public const string PrincipleAgreement = "principle-agreement";
    /// <summary>The critic the critique-revise stage uses unless told otherwise (the Critics plugin's).</summary>
    public const string DefaultCritic = "scripted";
}

/// <summary>Metric names of this plugin; per-round and per-principle metrics append a suffix to a prefix.</summary>
public static class CaiMetrics
{
    /// <summary>Prefix of the per-revision-round response metrics: <c>revision/</c> + a <see cref="MetricNames.Gold"/> name, logged at step = round.</summary>
    public const string RevisionPrefix = "revision/";
    /// <summary>Gold accuracy of the revisions at each round (round 0: the sampled responses).</summary>
    public const string RevisionAccuracy = RevisionPrefix + MetricNames.Gold.Accuracy;
    /// <summary>Confident-when-wrong at each round.</summary>
    public const string RevisionConfidentWhenWrong = RevisionPrefix + MetricNames.Gold.ConfidentWhenWrong;
    /// <summary>Sycophancy (agreement with a wrong hint) at each round.</summary>
    public const string RevisionSycophancy = RevisionPrefix + MetricNames.Gold.SycophancyRate;
    /// <summary>Share of responses showing working steps at each round.</summary>
    public const string RevisionSteps = RevisionPrefix + MetricNames.Gold.StepsRate;
    /// <summary>Mean response length at each round.</summary>
    public const string RevisionLength = RevisionPrefix + MetricNames.Gold.MeanLength;
    /// <summary>
    /// The highest gold accuracy a critic with recall 1 and a claims reviser can reach: the share of sampled responses
    /// that are right or state an answer (a final claim the reviser can correct).
    /// </summary>
    public const string RevisionBound = "revision/bound";
    /// <summary>Share of the round's critiques that say the response breaks the principle.</summary>
    public const string CritiqueFlaggedRate = "critique/flagged_rate";
    /// <summary>Share of the round's flagged critiques whose response does break the principle (by the gold features it concerns).</summary>
    public const string CritiquePrecision = "critique/precision";
    /// <summary>Share of the round's responses that break the principle which the critic flagged.</summary>
    public const string CritiqueRecall = "critique/recall";
    /// <summary>Share of the round's responses the reviser changed.</summary>
    public const string RevisedRate = "critique/revised_rate";
    /// <summary>Prefix of per-principle label agreement with gold: <c>cai/gold_agreement/</c> + principle name.</summary>
    public const string PrincipleAgreementPrefix = "cai/gold_agreement/";
    /// <summary>Prefix of per-principle label counts: <c>cai/labels/</c> + principle name.</summary>
    public const string PrincipleLabelsPrefix = "cai/labels/";
}

/// <summary>Artifact keys and transcript speakers of this plugin.</summary>
public static class CaiKeys
{
    /// <summary>
    /// The key of critique-revise's <see cref="Abstractions.Runs.EvaluationResults"/> (final-round metrics) and of its
    /// chains (an <c>IReadOnlyList&lt;CorrectionFeedback&gt;</c>).
    /// </summary>
    public const string RevisionResults = "critique-revise";
    /// <summary>The key of principle-agreement's <see cref="Abstractions.Runs.EvaluationResults"/>.</summary>
    public const string AgreementResults = "principle-agreement";
    /// <summary>Transcript speaker: the principle a label or revision was made under.</summary>
    public const string PrincipleSpeaker = "principle";
    /// <summary>Transcript speaker: the feedback model's rationale.</summary>
    public const string FeedbackModelSpeaker = "feedback-model";
    /// <summary>Transcript speaker: a critique.</summary>
    public const string CriticSpeaker = "critic";
    /// <summary>Transcript speaker: a revision.</summary>
    public const string ReviserSpeaker = "reviser";
    /// <summary>A critic turn's word for a critique that finds a flaw.</summary>
    public const string Flaw = "flaw";
    /// <summary>A critic turn's word for a critique that finds none.</summary>
    public const string NoFlaw = "no flaw";
    /// <summary>The artifact key under which critique-revise and ai-feedback leave the constitution they use (for principle-agreement's report).</summary>
    public const string ConstitutionArtifact = "constitution";
    /// <summary>The report contribution (file name) of critique-revise's constitution.</summary>
    public const string RevisionContribution = "critique-revise-constitution";
    /// <summary>The report contribution (file name) of principle-agreement.</summary>
    public const string AgreementContribution = "principle-agreement";
    /// <summary>The run file the constitution in use is written to.</summary>
    public const string ConstitutionFile = "cai/constitution.json";
}
