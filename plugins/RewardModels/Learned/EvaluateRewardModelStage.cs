using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;

namespace AlignFx.RewardModels;

/// <summary>Options of <c>evaluate-reward-model</c>.</summary>
public sealed class EvaluateRewardModelOptions
{
    /// <summary>The reward to evaluate.</summary>
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef Reward { get; set; } = new() { Name = LearnedRewardsRegistration.Trained };

    /// <summary>The held-out split whose prompts the policy answers.</summary>
    [Required, MinLength(1)]
    public string Split { get; set; } = TaskSplits.Test;

    /// <summary>Prompts to sample a pair of responses for (cycling through the split), and pairs of pretraining examples.</summary>
    [Range(1, 1_000_000)]
    public int Pairs { get; set; } = 500;

    /// <summary>
    /// The highest difficulty counted as checkable, for <c>rm_eval/accuracy_checkable</c> and <c>_uncheckable</c>
    /// (default 1e6: everything, as the simulated human's option).
    /// </summary>
    public double VerificationLimit { get; set; } = 1e6;

    /// <summary>Sampling temperature of the policy.</summary>
    [Range(0.0, 10.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>The most tokens per response.</summary>
    [Range(1, 4096)]
    public int MaxNewTokens { get; set; } = 48;

    /// <summary>Bins of the expected calibration error.</summary>
    [Range(1, 1000)]
    public int CalibrationBins { get; set; } = 10;
}

/// <summary>
/// <c>evaluate-reward-model</c>: measures a reward against the task's truth on pairs of the current policy's samples
/// for held-out prompts, and on pairs of pretraining-corpus responses (distribution shift; these pairs are of different
/// prompts). Logs <c>rm_eval/*</c> (see <see cref="RewardEvaluation"/>) and leaves them as <see cref="EvaluationResults"/>
/// under <c>reward-model/eval</c>.
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class EvaluateRewardModelStage(EvaluateRewardModelOptions options) : IStage
{
    /// <summary>The subject and artifact key of the results.</summary>
    public const string ResultsKey = "reward-model/eval";

    /// <summary>The gold features the reward is correlated with.</summary>
    public static IReadOnlyList<string> CorrelatedFeatures { get; } =
        [GoldFeatures.Length, GoldFeatures.Confident, GoldFeatures.AgreesWithHint, GoldFeatures.ShowsSteps, GoldFeatures.Correct];

    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        IGoldEvaluator gold = context.Task.Gold ?? throw new InvalidOperationException("evaluate-reward-model needs a task with a gold evaluator.");
        IReadOnlyList<Prompt> prompts = context.Task.GetPrompts(options.Split);
        if (prompts.Count == 0)
        {
            throw new InvalidOperationException($"The task's split '{options.Split}' has no prompts.");
        }
        IRewardModel reward = context.Components.Create<IRewardModel>(options.Reward);

        List<Prompt> asked = [.. Enumerable.Range(0, options.Pairs).Select(i => prompts[i % prompts.Count]).SelectMany(p => new[] { p, p })];
        var generation = new GenerationOptions
        {
            MaxNewTokens = options.MaxNewTokens,
            Temperature = options.Temperature,
            Seed = context.DeriveSeed("evaluate-reward-model/generate"),
        };
        IReadOnlyList<Response> samples = await context.Policy.GenerateAsync(asked, generation, ct).ConfigureAwait(false);
        IReadOnlyList<double> scores = await reward.ScoreAsync(samples, ct).ConfigureAwait(false);
        List<GoldEvaluation> evaluations = [.. samples.Select(gold.Evaluate)];
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var pairs = Enumerable.Range(0, options.Pairs).Select(i => new ScoredPair(scores[2 * i], scores[(2 * i) + 1], evaluations[2 * i], evaluations[(2 * i) + 1])).ToList();
        RewardEvaluation.MeasurePairs(pairs, options.CalibrationBins, metrics, "");
        RewardEvaluation.MeasurePairs([.. pairs.Where(p => p.First.Get(GoldFeatures.Difficulty) <= options.VerificationLimit)], options.CalibrationBins, metrics, "_checkable", accuracyOnly: true);
        RewardEvaluation.MeasurePairs([.. pairs.Where(p => p.First.Get(GoldFeatures.Difficulty) > options.VerificationLimit)], options.CalibrationBins, metrics, "_uncheckable", accuracyOnly: true);
        foreach (string feature in CorrelatedFeatures)
        {
            double[] values = [.. evaluations.Select(e => e.Get(feature))];
            metrics[RewardModelMetrics.Evaluation.Correlation + feature] = RewardEvaluation.Pearson([.. scores], values);
            metrics[RewardModelMetrics.Evaluation.GoldCorrelation + feature] = RewardEvaluation.Pearson([.. evaluations.Select(e => e.Score)], values);
        }

        // Distribution shift: pairs of pretraining-corpus responses (consecutive examples, so different prompts).
        IReadOnlyList<PretrainingExample> corpus = context.Task.GetPretrainingCorpus();
        int corpusPairs = Math.Min(options.Pairs, corpus.Count / 2);
        if (corpusPairs > 0)
        {
            List<Response> corpusResponses = [.. corpus.Take(2 * corpusPairs).Select((e, i) => new Response(new Prompt($"corpus-{i}", e.Prompt), e.Response) { Source = "pretraining-corpus" })];
            IReadOnlyList<double> corpusScores = await reward.ScoreAsync(corpusResponses, ct).ConfigureAwait(false);
            List<GoldEvaluation> corpusGold = [.. corpusResponses.Select(gold.Evaluate)];
            var shifted = new Dictionary<string, double>(StringComparer.Ordinal);
            RewardEvaluation.MeasurePairs(
                [.. Enumerable.Range(0, corpusPairs).Select(i => new ScoredPair(corpusScores[2 * i], corpusScores[(2 * i) + 1], corpusGold[2 * i], corpusGold[(2 * i) + 1]))],
                options.CalibrationBins, shifted, "");
            metrics[RewardModelMetrics.Evaluation.AccuracyPretraining] = shifted[RewardModelMetrics.Evaluation.Accuracy];
        }
        metrics[RewardModelMetrics.Evaluation.AccuracyShiftGap] = metrics[RewardModelMetrics.Evaluation.Accuracy] - metrics.GetValueOrDefault(RewardModelMetrics.Evaluation.AccuracyPretraining, double.NaN);

        foreach (var (name, value) in metrics)
        {
            context.Metrics.Log(name, value, 0);
        }
        context.Artifacts.Set(new EvaluationResults(ResultsKey, metrics), ResultsKey);
        context.Logger.LogInformation(
            "Reward model on {Pairs} decisive held-out pairs: accuracy {Accuracy:P1}, ECE {Ece:0.000}; on pretraining pairs {Shift:P1}; correlation with length {Length:0.00} (gold {GoldLength:0.00})",
            metrics[RewardModelMetrics.Evaluation.DecisivePairs], metrics[RewardModelMetrics.Evaluation.Accuracy], metrics[RewardModelMetrics.Evaluation.CalibrationError],
            metrics.GetValueOrDefault(RewardModelMetrics.Evaluation.AccuracyPretraining, double.NaN),
            metrics[RewardModelMetrics.Evaluation.Correlation + GoldFeatures.Length], metrics[RewardModelMetrics.Evaluation.GoldCorrelation + GoldFeatures.Length]);
    }
}

/// <summary>Two responses' rewards and gold evaluations.</summary>
/// <param name="FirstReward">The first response's reward.</param>
/// <param name="SecondReward">The second response's reward.</param>
/// <param name="First">The first response's gold evaluation.</param>
/// <param name="Second">The second response's gold evaluation.</param>
public readonly record struct ScoredPair(double FirstReward, double SecondReward, GoldEvaluation First, GoldEvaluation Second);

/// <summary>The metrics of <c>evaluate-reward-model</c> and the statistics behind them.</summary>
public static class RewardEvaluation
{

    /// <summary>
    /// Accuracy, soft agreement, ECE and count of the decisive pairs among <paramref name="pairs"/>, stored as
    /// <c>rm_eval/accuracy{suffix}</c> and so on (only accuracy when <paramref name="accuracyOnly"/>).
    /// </summary>
    /// <param name="pairs">The scored pairs.</param>
    /// <param name="bins">Calibration bins.</param>
    /// <param name="into">Where to store the metrics.</param>
    /// <param name="suffix">Appended to each name.</param>
    /// <param name="accuracyOnly">Store only the accuracy.</param>
    public static void MeasurePairs(IReadOnlyList<ScoredPair> pairs, int bins, IDictionary<string, double> into, string suffix, bool accuracyOnly = false)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(into);
        var predicted = new List<double>();
        var outcomes = new List<double>();
        double correct = 0;
        foreach (ScoredPair pair in pairs)
        {
            if (pair.First.Score == pair.Second.Score)
            {
                continue;
            }
            double margin = pair.FirstReward - pair.SecondReward;
            double firstBetter = pair.First.Score > pair.Second.Score ? 1 : 0;
            correct += margin == 0 ? 0.5 : (margin > 0) == (firstBetter == 1) ? 1 : 0;
            predicted.Add(BradleyTerryLoss.Sigmoid(margin));
            outcomes.Add(firstBetter);
        }
        int n = predicted.Count;
        into[RewardModelMetrics.Evaluation.Accuracy + suffix] = n == 0 ? double.NaN : correct / n;
        if (accuracyOnly)
        {
            return;
        }
        into[RewardModelMetrics.Evaluation.GoldAgreement + suffix] = n == 0 ? double.NaN : predicted.Zip(outcomes, (p, y) => y == 1 ? p : 1 - p).Average();
        into[RewardModelMetrics.Evaluation.CalibrationError + suffix] = ExpectedCalibrationError(predicted, outcomes, bins);
        into[RewardModelMetrics.Evaluation.DecisivePairs + suffix] = n;
    }

    /// <summary>
    /// The expected calibration error: predictions fall into <paramref name="bins"/> equal-width bins of [0, 1]; the
    /// error is Σ_b (n_b / n)·|mean prediction_b − mean outcome_b|.
    /// </summary>
    /// <param name="predicted">Predicted probabilities.</param>
    /// <param name="outcomes">Outcomes (0/1, or soft labels).</param>
    /// <param name="bins">The number of bins.</param>
    /// <returns>The error, or NaN for no predictions.</returns>
    public static double ExpectedCalibrationError(IReadOnlyList<double> predicted, IReadOnlyList<double> outcomes, int bins)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(outcomes);
        if (predicted.Count == 0)
        {
            return double.NaN;
        }
        var sums = new (double P, double Y, int N)[bins];
        for (int i = 0; i < predicted.Count; i++)
        {
            int b = Math.Clamp((int)(predicted[i] * bins), 0, bins - 1);
            sums[b] = (sums[b].P + predicted[i], sums[b].Y + outcomes[i], sums[b].N + 1);
        }
        return sums.Where(s => s.N > 0).Sum(s => Math.Abs(s.P - s.Y)) / predicted.Count;
    }

    /// <summary>The Pearson correlation of two equally long series; NaN when either is constant.</summary>
    /// <param name="x">The first series.</param>
    /// <param name="y">The second series.</param>
    /// <returns>The correlation in [−1, 1], or NaN.</returns>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count || x.Count < 2)
        {
            return double.NaN;
        }
        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}
