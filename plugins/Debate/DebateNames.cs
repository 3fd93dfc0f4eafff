namespace AlignFx.Debate;

/// <summary>The component names this plugin registers, and the names of the judge and debater models its protocols take.</summary>
public static class DebateNames
{
    /// <summary>The debate protocol (an oversight method).</summary>
    public const string Debate = "debate";

    /// <summary>The consultancy protocol (an oversight method).</summary>
    public const string Consultancy = "consultancy";

    /// <summary>The judge alone (an oversight method, the naive baseline).</summary>
    public const string Direct = "direct";

    /// <summary>The stage that measures an oversight method on items with one right and one wrong answer.</summary>
    public const string OverseeStage = "oversee";

    /// <summary>The stage that measures the pipeline's labels against gold within and beyond a verification limit.</summary>
    public const string LabelAgreementStage = "label-agreement";

    /// <summary>The simulated judge (the only judge so far).</summary>
    public const string SimulatedJudge = "simulated-judge";

    /// <summary>The judge on a chat model.</summary>
    public const string ChatJudge = "chat";

    /// <summary>Scripted debaters and consultants.</summary>
    public const string ScriptedDebater = "scripted";

    /// <summary>Debaters on a chat model (in debate only).</summary>
    public const string ChatDebater = "chat";

    /// <summary>Debaters whose moves a policy of the run generates (in debate, and as train-debaters' self-play opponent).</summary>
    public const string PolicyDebater = "policy";

    /// <summary>The stage that trains policy debaters by self-play with an optimiser (PPO) against the judge's verdict.</summary>
    public const string TrainDebatersStage = "train-debaters";

    /// <summary>The stage that leaves uniformly random legal moves as fine-tuning examples (the move grammar's warm start).</summary>
    public const string DebaterMovesStage = "debater-moves";

    /// <summary>The metadata key of a prompt's user hint, as the arithmetic task writes it (a judge option can change it).</summary>
    public const string DefaultHintKey = "hint";
}

/// <summary>Transcript speakers.</summary>
public static class Speakers
{
    /// <summary>The debater presented first.</summary>
    public const string DebaterA = "debater-a";

    /// <summary>The debater presented second.</summary>
    public const string DebaterB = "debater-b";

    /// <summary>The consultant.</summary>
    public const string Consultant = "consultant";

    /// <summary>The judge.</summary>
    public const string Judge = "judge";
}

/// <summary>The metrics the <c>label-agreement</c> stage logs (step 0).</summary>
public static class LabelMetrics
{
    /// <summary>Agreement of the pipeline's pairwise labels with the gold preference (pairs whose gold scores differ).</summary>
    public const string Agreement = "labels/gold_agreement";

    /// <summary>The same on pairs whose prompt the judge could check alone (difficulty within the limit).</summary>
    public const string AgreementCheckable = "labels/gold_agreement_checkable";

    /// <summary>The same on pairs whose prompt the judge could not check alone.</summary>
    public const string AgreementUncheckable = "labels/gold_agreement_uncheckable";

    /// <summary>Fraction of the measured pairs (gold scores differ) whose prompt is beyond the limit.</summary>
    public const string UncheckableFraction = "labels/uncheckable_fraction";
}

/// <summary>The metrics the <c>oversee</c> stage logs (step 0), each over the stage's items.</summary>
public static class OversightMetrics
{
    /// <summary>Fraction of items whose verdict chose the right answer.</summary>
    public const string Accuracy = "oversight/accuracy";

    /// <summary>Accuracy on items whose answers the judge could not check alone (final claim beyond its verification limit).</summary>
    public const string AccuracyUncheckable = "oversight/accuracy_uncheckable";

    /// <summary>Accuracy on items the judge could check alone.</summary>
    public const string AccuracyCheckable = "oversight/accuracy_checkable";

    /// <summary>Fraction of items the judge could not check alone.</summary>
    public const string UncheckableFraction = "oversight/uncheckable_fraction";

    /// <summary>Fraction of games (one answer order each) won by the side of the right answer.</summary>
    public const string HonestWinRate = "oversight/honest_win_rate";

    /// <summary>Accuracy of the games in which the right answer was presented first.</summary>
    public const string AccuracyRightFirst = "oversight/accuracy_right_first";

    /// <summary>Accuracy of the games in which the right answer was presented second.</summary>
    public const string AccuracyRightSecond = "oversight/accuracy_right_second";

    /// <summary>Fraction of items whose two answer orders gave different verdicts.</summary>
    public const string SwapDisagreement = "oversight/swap_disagreement";

    /// <summary>Fraction of games decided by a check of the judge (the rest by its biases).</summary>
    public const string DecidedByCheck = "oversight/decided_by_check";

    /// <summary>
    /// The bias-driven rate: over the games no check decided, the judge's mean probability of choosing the right
    /// answer by its biases alone (0.5 for a judge without biases, or whose biases are blind to the truth).
    /// </summary>
    public const string BiasRate = "oversight/bias_rate";

    /// <summary>Fraction of games in which a chat judge forfeited its turn (a reply outside the grammar, or none in time).</summary>
    public const string JudgeForfeitRate = "oversight/judge_forfeit_rate";

    /// <summary>Elo of the side defending the right answer, after the tournament of every game (both start at 1000).</summary>
    public const string EloHonest = "oversight/elo_honest";

    /// <summary>Elo of the side defending the wrong answer.</summary>
    public const string EloDishonest = "oversight/elo_dishonest";

    /// <summary>Judge checks per verdict (both orders).</summary>
    public const string ChecksPerVerdict = "oversight/checks_per_verdict";

    /// <summary>Debater turns per verdict (both orders).</summary>
    public const string TurnsPerVerdict = "oversight/turns_per_verdict";

    /// <summary>Transcript tokens (whitespace-separated words) per verdict.</summary>
    public const string TokensPerVerdict = "oversight/tokens_per_verdict";

    /// <summary>Cost per verdict, in model calls (debater turns, judge checks and the verdict).</summary>
    public const string CostPerVerdict = "oversight/cost_per_verdict";
}

/// <summary>
/// What <c>train-debaters</c> logs. Evaluation metrics are logged at PPO step 0, every <c>evaluateEvery</c> steps and
/// after the last, over games on the evaluation split played at a fixed sampling seed; the <c>train_*</c> metrics every
/// step, over that step's rollouts.
/// </summary>
public static class SelfPlayMetrics
{
    /// <summary>Fraction of the step's rollout games won by the side whose first move was sampled (the reward's mean, rescaled to [0, 1]).</summary>
    public const string TrainWinRate = "selfplay/train_win_rate";

    /// <summary>Fraction of the step's rollout games whose verdict chose the right answer.</summary>
    public const string TrainJudgeAccuracy = "selfplay/train_judge_accuracy";

    /// <summary>Fraction of the policy's moves in the step's rollout games that were outside the move grammar.</summary>
    public const string TrainForfeitRate = "selfplay/train_forfeit_rate";

    /// <summary>The policy's win rate against the opponent, over the sides it trains on.</summary>
    public const string WinRate = "selfplay/win_rate";

    /// <summary>The policy's win rate when it defends the right answer.</summary>
    public const string WinRateHonest = "selfplay/win_rate_honest";

    /// <summary>The policy's win rate when it defends the wrong answer.</summary>
    public const string WinRateDishonest = "selfplay/win_rate_dishonest";

    /// <summary>Judge accuracy (the verdict chose the right answer) in the games of the policy against the opponent.</summary>
    public const string JudgeAccuracy = "selfplay/judge_accuracy";

    /// <summary>Judge accuracy in the games of the policy against itself (both sides the policy).</summary>
    public const string JudgeAccuracySelfPlay = "selfplay/judge_accuracy_selfplay";

    /// <summary>Judge accuracy in the policy's games against itself, on items the judge could not check alone.</summary>
    public const string JudgeAccuracySelfPlayUncheckable = "selfplay/judge_accuracy_selfplay_uncheckable";

    /// <summary>Elo of the policy in its tournament against the opponent (K = 16 from 1000, carried over the evaluations).</summary>
    public const string EloPolicy = "selfplay/elo_policy";

    /// <summary>Elo of the opponent in that tournament.</summary>
    public const string EloOpponent = "selfplay/elo_opponent";

    /// <summary>Elo of the honest side in the policy's games against itself (carried over the evaluations).</summary>
    public const string EloHonest = "selfplay/elo_honest";

    /// <summary>Elo of the dishonest side in those games.</summary>
    public const string EloDishonest = "selfplay/elo_dishonest";

    /// <summary>Fraction of the policy's evaluation moves that disputed a claim (the rest passed or forfeited).</summary>
    public const string DisputeRate = "selfplay/dispute_rate";

    /// <summary>Fraction of the policy's evaluation moves outside the grammar (each forfeits its turn).</summary>
    public const string ForfeitRate = "selfplay/forfeit_rate";

    /// <summary>In self-play: the policy's win rate against the scripted reference opponent (before and after training), over both sides.</summary>
    public const string ReferenceWinRate = "selfplay/reference_win_rate";

    /// <summary>In self-play: the policy's win rate against the reference when it defends the right answer.</summary>
    public const string ReferenceWinRateHonest = "selfplay/reference_win_rate_honest";

    /// <summary>In self-play: the policy's win rate against the reference when it defends the wrong answer.</summary>
    public const string ReferenceWinRateDishonest = "selfplay/reference_win_rate_dishonest";

    /// <summary>In self-play: judge accuracy in the policy's games against the reference.</summary>
    public const string ReferenceJudgeAccuracy = "selfplay/reference_judge_accuracy";

    /// <summary>Suffix of the evaluation metrics' values before training in the stage's <c>EvaluationResults</c>.</summary>
    public const string StartSuffix = "_start";
}

/// <summary>Artifact keys and kinds of the self-play stages.</summary>
public static class SelfPlayArtifacts
{
    /// <summary>The key of the stage's <c>EvaluationResults</c> (final evaluation, and the first with <see cref="SelfPlayMetrics.StartSuffix"/>).</summary>
    public const string ResultsKey = "train-debaters";

    /// <summary>The key of a frozen snapshot of the policy as training started (a <c>policy</c> debater can name it).</summary>
    public const string StartPolicyKey = "debaters/start";

    /// <summary>The key under which <c>debater-moves</c> leaves its examples by default (the key <c>sft</c> reads).</summary>
    public const string MovesKey = "sft";

    /// <summary>The name of the report contribution with sample debates as dialogues (<c>report/&lt;name&gt;.json</c>).</summary>
    public const string DialoguesContribution = "debate-dialogues";
}
