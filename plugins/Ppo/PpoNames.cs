using AlignFx.Abstractions.Runs;
using AlignFx.Ppo.Evaluation;

namespace AlignFx.Ppo;

/// <summary>
/// Metric names only this plugin logs (the shared ones are <see cref="MetricNames"/>); names of a shared family use
/// its prefix.
/// </summary>
public static class PpoMetrics
{
    /// <summary>The KL penalty part of the reward (TRL's name).</summary>
    public const string NonScoreReward = "objective/non_score_reward";
    /// <summary>Minibatches per PPO update.</summary>
    public const string MiniBatches = "policy/minibatches";
    /// <summary>Mean response length in tokens of the rollouts.</summary>
    public const string ResponseLengthMean = "response_length/mean";
    /// <summary>The n of best-of-n.</summary>
    public const string BestOfNN = "best_of_n/n";
    /// <summary>Prefix of each objective's mean score of a multi-objective reward (<c>reward/&lt;objective&gt;</c>).</summary>
    public const string RewardPrefix = "reward/";
    /// <summary>Prefix of each constraint's Lagrange multiplier (<c>lagrange/&lt;objective&gt;</c>).</summary>
    public const string LagrangePrefix = "lagrange/";
    /// <summary>How many responses <c>evaluate</c> measured each policy on (so a report can tell a change from noise).</summary>
    public const string GoldResponses = "gold/responses";
    /// <summary>Prefix of <c>evaluate</c>'s results of the base policy: <c>eval/base/</c> + a metric name, at step 0.</summary>
    public const string EvaluateBasePrefix = "eval/base/";
    /// <summary>Prefix of <c>evaluate</c>'s results of the final policy: <c>eval/final/</c> + a metric name, at step 0.</summary>
    public const string EvaluateFinalPrefix = "eval/final/";
    /// <summary>Prefix of the overoptimisation stage's best-of-n points: <c>bon/&lt;label&gt;/gold</c>, <c>/proxy</c>, <c>/kl</c>, <c>/sqrt_kl</c> at step n.</summary>
    public const string BestOfNSweepPrefix = "bon/";
    /// <summary>Best-of-n's mean gold reward (<see cref="BestOfN"/>).</summary>
    public const string BestOfNGold = "gold";
    /// <summary>Best-of-n's mean proxy reward.</summary>
    public const string BestOfNProxy = "proxy";
    /// <summary>Best-of-n's analytic KL from the base policy, nats.</summary>
    public const string BestOfNKl = "kl";
    /// <summary>d = sqrt(KL), the x axis of Gao et al.'s fits.</summary>
    public const string BestOfNSqrtKl = "sqrt_kl";

    /// <summary>A best-of-n metric of one proxy: <c>bon/&lt;label&gt;/&lt;quantity&gt;</c>.</summary>
    /// <param name="label">The proxy's label.</param>
    /// <param name="quantity">One of <see cref="BestOfNGold"/>, <see cref="BestOfNProxy"/>, <see cref="BestOfNKl"/>, <see cref="BestOfNSqrtKl"/>.</param>
    /// <returns>The metric's name.</returns>
    public static string BestOfN(string label, string quantity) => $"{BestOfNSweepPrefix}{label}/{quantity}";
}

/// <summary>Artifact keys only this plugin's stages write (the shared ones are <see cref="ArtifactKeys"/>).</summary>
public static class PpoArtifacts
{
    /// <summary><c>optimize</c>'s final metrics.</summary>
    public static readonly ArtifactKey<EvaluationResults> OptimizeResults = new("optimize");
    /// <summary><c>evaluate</c>'s results of the base policy.</summary>
    public static readonly ArtifactKey<EvaluationResults> BaseResults = new("evaluate/base");
    /// <summary><c>evaluate</c>'s results of the current (final) policy.</summary>
    public static readonly ArtifactKey<EvaluationResults> FinalResults = new("evaluate/final");
    /// <summary><c>evaluate</c>'s sample responses, before and after.</summary>
    public static readonly ArtifactKey<EvaluationSamples> Samples = new("");
    /// <summary>The overoptimisation stage's curves.</summary>
    public static readonly ArtifactKey<OveroptimisationResults> Overoptimisation = new("overoptimisation");
    /// <summary>The overoptimisation stage's fits as metrics.</summary>
    public static readonly ArtifactKey<EvaluationResults> OveroptimisationFits = new("overoptimisation");
}
