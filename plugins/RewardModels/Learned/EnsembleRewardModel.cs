using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels;

/// <summary>How an ensemble combines its members' (normalised) rewards (Coste et al. 2024).</summary>
public enum EnsembleAggregation
{
    /// <summary>The members' mean.</summary>
    Mean,
    /// <summary>The members' minimum (worst-case optimisation, WCO).</summary>
    WorstCase,
    /// <summary>The mean minus λ times the members' variance (uncertainty-weighted optimisation, UWO).</summary>
    UncertaintyWeighted,
}

/// <summary>Options of <c>ensemble</c>.</summary>
public sealed class EnsembleOptions
{
    /// <summary>How many members.</summary>
    [Range(1, 64)]
    public int Members { get; set; } = 3;

    /// <summary>How the members' rewards are combined into one score.</summary>
    public EnsembleAggregation Aggregation { get; set; } = EnsembleAggregation.Mean;

    /// <summary>λ of uncertainty-weighted aggregation: the score is mean − λ·variance.</summary>
    [Range(0.0, 1e6)]
    public double UncertaintyPenalty { get; set; } = 0.5;

    /// <summary>Train each member on a bootstrap resample of the training labels (false: all on the same labels, differing only in their seeds).</summary>
    public bool Bootstrap { get; set; } = true;

    /// <summary>
    /// The members' options (every member the same; each draws its own seed stream <c>&lt;seedStream&gt;/member{i}</c>).
    /// Its validation fraction splits the labels once, and every member validates on the same held-out part.
    /// </summary>
    [Required]
    public BradleyTerryOptions Member { get; set; } = new();
}

/// <summary>
/// <c>ensemble</c>: k Bradley–Terry members, each with its own encoder copy of the policy, trained on a seeded
/// bootstrap resample of the training labels and normalised on its own; scores combine the members by
/// <see cref="EnsembleOptions.Aggregation"/>, and <see cref="ScoreWithUncertaintyAsync"/> gives their mean and
/// (population) standard deviation.
/// </summary>
/// <param name="options">The ensemble's options.</param>
public sealed class EnsembleRewardModel(EnsembleOptions options) : ITrainableRewardModel, IUncertainRewardModel, IPolicyInitialisedRewardModel, IDisposable
{
    private readonly List<BradleyTerryRewardModel> _members = [];
    private ResponseFeatures? _sharedFeatures;

    /// <summary>The ensemble's options.</summary>
    public EnsembleOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>The members, in order.</summary>
    public IReadOnlyList<BradleyTerryRewardModel> Members => _members;

    /// <inheritdoc />
    public bool IsInitialised => _members.Count == Options.Members && _members.All(m => m.IsInitialised);

    /// <inheritdoc />
    public void InitialiseFrom(ISequenceEncoderSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Dispose();
        // Probes (frozen encoders) all read the same features: one copy of the policy computes them once for all members.
        _sharedFeatures = Options.Member.TrainEncoder ? null : ResponseFeatures.Create(source, Options.Member);
        for (int i = 0; i < Options.Members; i++)
        {
            var member = new BradleyTerryRewardModel(Options.Member);
            if (_sharedFeatures is null)
            {
                member.InitialiseFrom(source);
            }
            else
            {
                member.InitialiseFrom(_sharedFeatures);
            }
            _members.Add(member);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The data holds no pairwise labels, or the ensemble was not initialised.</exception>
    public Task<EvaluationResults> TrainAsync(FeedbackDataset data, IRunContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(context);
        if (!IsInitialised)
        {
            throw new InvalidOperationException("The ensemble has no encoders: the train-reward-model stage initialises them from the pipeline's policy, which must be a sequence-encoder source (the gpt policy is).");
        }
        List<PairwiseFeedback> pairs = [.. data.Pairwise];
        if (pairs.Count == 0)
        {
            throw new InvalidOperationException("ensemble learns from pairwise labels, and the feedback dataset has none (collect them with kind 'pairwise').");
        }
        string stream = Options.Member.SeedStream;
        var (train, validation) = BradleyTerryRewardModel.Split(pairs, Options.Member.ValidationFraction, context.CreateRandom(stream + "/split"));
        var perMember = new List<Dictionary<string, double>>();
        for (int i = 0; i < _members.Count; i++)
        {
            Random resample = context.CreateRandom($"{stream}/member{i}/bootstrap");
            List<PairwiseFeedback> sample = Options.Bootstrap ? [.. train.Select(_ => train[resample.Next(train.Count)])] : train;
            perMember.Add(_members[i].Fit(sample, validation, context, RewardMetrics.Member(i), $"{stream}/member{i}", ct));
        }
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string name in perMember[0].Keys)
        {
            // The members' metrics under their own names, and their mean under the single model's.
            for (int i = 0; i < perMember.Count; i++)
            {
                metrics[RewardModelMetrics.Member(i, name)] = perMember[i][name];
            }
            metrics[name] = perMember.Average(m => m[name]);
        }
        metrics[RewardModelMetrics.Labels] = pairs.Count;
        long last = (long)perMember.Max(m => m[RewardModelMetrics.Epochs]);
        if (validation.Count > 0)
        {
            metrics[RewardModelMetrics.EnsembleValidationAccuracy] = ValidationAccuracy(validation, ct);
            context.Metrics.Log(RewardModelMetrics.EnsembleValidationAccuracy, metrics[RewardModelMetrics.EnsembleValidationAccuracy], last);
        }
        foreach (string name in new[] { MetricNames.RewardModel.Loss, MetricNames.RewardModel.Accuracy, MetricNames.RewardModel.ValidationAccuracy })
        {
            if (metrics.TryGetValue(name, out double value))
            {
                context.Metrics.Log(name, value, last);
            }
        }
        return Task.FromResult(new EvaluationResults(TrainRewardModelStage.ResultsKey, metrics));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<double>>(Aggregate(MemberScores(responses, ct), Options.Aggregation, Options.UncertaintyPenalty));

    /// <summary>Scores with another aggregation than the trained one (one ensemble serves mean, WCO and UWO comparisons).</summary>
    /// <param name="responses">The responses.</param>
    /// <param name="aggregation">How to combine the members.</param>
    /// <param name="uncertaintyPenalty">λ of uncertainty-weighted aggregation.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>One score per response.</returns>
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, EnsembleAggregation aggregation, double uncertaintyPenalty, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<double>>(Aggregate(MemberScores(responses, ct), aggregation, uncertaintyPenalty));

    /// <inheritdoc />
    public Task<IReadOnlyList<RewardEstimate>> ScoreWithUncertaintyAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        double[][] scores = MemberScores(responses, ct);
        return Task.FromResult<IReadOnlyList<RewardEstimate>>([.. Enumerable.Range(0, responses.Count).Select(i =>
        {
            var (mean, variance) = Moments(scores, i);
            return new RewardEstimate(mean, Math.Sqrt(variance));
        })]);
    }

    /// <summary>Every member's normalised scores: [member][response].</summary>
    /// <param name="responses">The responses.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>The scores.</returns>
    /// <exception cref="InvalidOperationException">The ensemble has not been trained.</exception>
    public double[][] MemberScores(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(responses);
        if (_members.Count == 0 || !_members.All(m => m.IsTrained))
        {
            throw new InvalidOperationException("The ensemble has not been trained yet (run train-reward-model first).");
        }
        return [.. _members.Select(m => m.Score(responses, ct))];
    }

    /// <summary>Combines member scores [member][response] into one score per response.</summary>
    /// <param name="scores">The members' scores.</param>
    /// <param name="aggregation">How to combine them.</param>
    /// <param name="uncertaintyPenalty">λ of uncertainty-weighted aggregation.</param>
    /// <returns>One score per response.</returns>
    public static double[] Aggregate(double[][] scores, EnsembleAggregation aggregation, double uncertaintyPenalty)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int n = scores.Length == 0 ? 0 : scores[0].Length;
        var result = new double[n];
        for (int i = 0; i < n; i++)
        {
            var (mean, variance) = Moments(scores, i);
            result[i] = aggregation switch
            {
                EnsembleAggregation.Mean => mean,
                EnsembleAggregation.WorstCase => scores.Min(s => s[i]),
                EnsembleAggregation.UncertaintyWeighted => mean - (uncertaintyPenalty * variance),
                _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, null),
            };
        }
        return result;
    }

    /// <summary>Releases every member's tensors.</summary>
    public void Dispose()
    {
        foreach (BradleyTerryRewardModel member in _members)
        {
            member.Dispose();
        }
        _members.Clear();
        _sharedFeatures?.Dispose();
        _sharedFeatures = null;
    }

    private double ValidationAccuracy(IReadOnlyList<PairwiseFeedback> validation, CancellationToken ct)
    {
        double[] scores = Aggregate(MemberScores([.. validation.Select(p => p.First), .. validation.Select(p => p.Second)], ct), Options.Aggregation, Options.UncertaintyPenalty);
        double correct = 0, decided = 0;
        for (int i = 0; i < validation.Count; i++)
        {
            if (validation[i].PreferFirst == 0.5)
            {
                continue;
            }
            decided++;
            double margin = scores[i] - scores[validation.Count + i];
            correct += margin != 0 && (margin > 0) == (validation[i].PreferFirst > 0.5) ? 1 : 0;
        }
        return decided == 0 ? double.NaN : correct / decided;
    }

    /// <summary>The mean and population variance of response <paramref name="i"/>'s scores over the members.</summary>
    private static (double Mean, double Variance) Moments(double[][] scores, int i)
    {
        double mean = scores.Average(s => s[i]);
        return (mean, scores.Sum(s => (s[i] - mean) * (s[i] - mean)) / scores.Length);
    }
}
