using System.Globalization;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tensors;
using AlignFx.Tensors.Modules;
using AlignFx.Tensors.Optim;
using Microsoft.Extensions.Logging;
using static AlignFx.Tensors.torch;

namespace AlignFx.RewardModels;

/// <summary>
/// <c>bradley-terry</c>: a sequence encoder initialised from the policy's weights (through
/// <see cref="ISequenceEncoderSource"/>) plus a scalar linear head, trained with <see cref="BradleyTerryLoss"/> on
/// pairwise labels with AdamW, a seeded train/validation split and early stopping on the validation loss (the best
/// epoch's weights are kept). After training, scores are normalised to mean 0 and unit variance over the distinct
/// responses of the training labels. Scoring runs in batches, in eval mode, without gradients.
/// </summary>
/// <remarks>Call <see cref="InitialiseFrom(ISequenceEncoderSource)"/> before <see cref="TrainAsync"/> (the <c>train-reward-model</c> stage does).</remarks>
/// <param name="options">The model's options.</param>
public sealed class BradleyTerryRewardModel(BradleyTerryOptions options) : ITrainableRewardModel, IPolicyInitialisedRewardModel, IDisposable, IDisclosesFacts
{
    /// <summary>The disclosure card's items this model states: its loss, as configured.</summary>
    public IReadOnlyList<DisclosureFact> DisclosureFacts =>
    [
        new(DisclosureGroups.RewardModel, "Loss function", string.Create(CultureInfo.InvariantCulture,
            $"Bradley–Terry cross-entropy on pairwise preferences (soft labels, ties 0.5) with a random-answer mixture: P = (1 − ε)·σ(r₁ − r₂) + ε/2, ε = {options.RandomAnswerRate}; " +
            $"{(options.TrainEncoder ? "encoder fine-tuned with the head" : "encoder frozen, scalar head trained (a linear probe)")}{(options.LikelihoodFeatures ? ", with the frozen policy's likelihood features" : "")}; " +
            $"up to {options.Epochs} epochs, {options.ValidationFraction * 100:0.#}% of the labels held out for validation")),
    ];

    private ResponseFeatures? _features;
    private bool _ownsFeatures;
    private Linear? _head;
    private double _offset;
    private double _scale = 1;

    // A trained model's weights no longer change, so each distinct response is scored once: best-of-n and ensemble
    // aggregations score the same pool many times. Empty (and unused) while training.
    private readonly Dictionary<string, double> _rawScores = new(StringComparer.Ordinal);
    private bool _cacheScores;
    private const int MaxCachedScores = 1 << 18;

    /// <summary>The model's options.</summary>
    public BradleyTerryOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc />
    public bool IsInitialised => _features is not null;

    /// <summary>Whether the model has been trained (and can score).</summary>
    public bool IsTrained => _head is not null;

    /// <summary>The pairs held out for validation in the last training, for calibration against labels.</summary>
    public IReadOnlyList<PairwiseFeedback> ValidationPairs { get; private set; } = [];

    /// <inheritdoc />
    public void InitialiseFrom(ISequenceEncoderSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        DisposeNetworks();
        _features = ResponseFeatures.Create(source, Options);
        _ownsFeatures = true;
    }

    /// <summary>Reads responses through <paramref name="shared"/> (an ensemble's frozen features), which the caller keeps and disposes.</summary>
    internal void InitialiseFrom(ResponseFeatures shared)
    {
        DisposeNetworks();
        _features = shared;
        _ownsFeatures = false;
    }

    /// <summary>Whether the head sees the frozen policy's likelihood of each response (see <see cref="BradleyTerryOptions.LikelihoodFeatures"/>).</summary>
    public bool UsesLikelihoodFeatures => _features?.HasLikelihoods == true;


    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The data holds no pairwise labels, or the model was not initialised.</exception>
    public Task<EvaluationResults> TrainAsync(FeedbackDataset data, IRunContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(context);
        List<PairwiseFeedback> pairs = [.. data.Pairwise];
        if (pairs.Count == 0)
        {
            throw new InvalidOperationException("bradley-terry learns from pairwise labels, and the feedback dataset has none (collect them with kind 'pairwise').");
        }
        var (train, validation) = Split(pairs, Options.ValidationFraction, context.CreateRandom(Options.SeedStream + "/split"));
        var metrics = Fit(train, validation, context, RewardMetrics.Default, Options.SeedStream, ct);
        return Task.FromResult(new EvaluationResults(TrainRewardModelStage.ResultsKey, metrics));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(responses);
        return Task.FromResult<IReadOnlyList<double>>(Score(responses, ct));
    }

    /// <summary>Normalised scores, computed synchronously.</summary>
    internal double[] Score(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        double[] raw = RawScores(responses, ct);
        for (int i = 0; i < raw.Length; i++)
        {
            raw[i] = (raw[i] - _offset) / _scale;
        }
        return raw;
    }

    /// <summary>Releases the encoder's and the head's tensors.</summary>
    public void Dispose() => DisposeNetworks();

    /// <summary>Splits pairs into a training and a validation part by a seeded shuffle.</summary>
    internal static (List<PairwiseFeedback> Train, List<PairwiseFeedback> Validation) Split(List<PairwiseFeedback> pairs, double fraction, Random random)
    {
        PairwiseFeedback[] shuffled = [.. pairs];
        random.Shuffle(shuffled);
        int held = pairs.Count < 2 ? 0 : Math.Min(pairs.Count - 1, (int)Math.Round(fraction * pairs.Count));
        return ([.. shuffled.Skip(held)], [.. shuffled.Take(held)]);
    }

    /// <summary>Trains on <paramref name="train"/>, validating on <paramref name="validation"/>, and returns the final metrics.</summary>
    internal Dictionary<string, double> Fit(
        IReadOnlyList<PairwiseFeedback> train, IReadOnlyList<PairwiseFeedback> validation, IRunContext context,
        RewardMetrics names, string seedStream, CancellationToken ct)
    {
        ISequenceEncoder encoder = _features?.Encoder ?? throw new InvalidOperationException(
            "The reward model has no encoder: the train-reward-model stage initialises it from the pipeline's policy, which must be a sequence-encoder source (the gpt policy is).");
        if (train.Count == 0)
        {
            throw new InvalidOperationException("No pairwise labels to train on.");
        }
        _head?.Dispose();
        _offset = 0;
        _scale = 1;
        _cacheScores = false;
        _rawScores.Clear();
        _head = nn.Linear(_features.Dimension, 1, generator: new Generator(context.DeriveSeed(seedStream + "/head")));
        ValidationPairs = [.. validation];
        List<nn.Parameter> parameters = [.. _head.parameters(), .. Options.TrainEncoder ? encoder.Module.parameters() : []];
        List<ParamGroup> groups = [new(_head.parameters())];
        if (Options.TrainEncoder)
        {
            groups.Add(new(encoder.Module.parameters(), lr: Options.EncoderLearningRate ?? Options.LearningRate));
        }
        using var optimizer = optim.AdamW(groups, Options.LearningRate, weight_decay: Options.WeightDecay);
        Random order = context.CreateRandom(seedStream + "/batches");
        int[] indices = [.. Enumerable.Range(0, train.Count)];

        double bestValidationLoss = double.PositiveInfinity;
        Dictionary<string, Tensor>? best = null;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        int sinceBest = 0;
        using (IProgressTask progress = context.Progress.Start("train reward model", Options.Epochs))
        {
            for (int epoch = 1; epoch <= Options.Epochs; epoch++)
            {
                order.Shuffle(indices);
                SetTraining(true);
                double lossSum = 0, correct = 0, decided = 0;
                for (int start = 0; start < indices.Length; start += Options.BatchSize)
                {
                    ct.ThrowIfCancellationRequested();
                    List<PairwiseFeedback> batch = [.. indices.Skip(start).Take(Options.BatchSize).Select(i => train[i])];
                    using var scope = NewDisposeScope();
                    var (first, second) = PairRewards(batch, ct);
                    using var labels = tensor(batch.Select(p => (float)p.PreferFirst).ToArray(), [batch.Count]);
                    var loss = BradleyTerryLoss.Compute(first, second, labels, Options.RandomAnswerRate);
                    optimizer.zero_grad();
                    loss.backward();
                    if (Options.GradientClip > 0)
                    {
                        nn.utils.clip_grad_norm_(parameters, Options.GradientClip);
                    }
                    optimizer.step();
                    lossSum += loss.item<float>() * batch.Count;
                    (double c, double d) = Agreement(batch, first.ToArray<float>(), second.ToArray<float>());
                    correct += c;
                    decided += d;
                }
                SetTraining(false);
                metrics[RewardMetrics.Default.Loss] = lossSum / train.Count;
                metrics[RewardMetrics.Default.Accuracy] = decided == 0 ? double.NaN : correct / decided;
                context.Metrics.Log(names.Loss, metrics[RewardMetrics.Default.Loss], epoch);
                context.Metrics.Log(names.Accuracy, metrics[RewardMetrics.Default.Accuracy], epoch);
                metrics[RewardModelMetrics.Epochs] = epoch;
                progress.Advance();
                if (validation.Count == 0)
                {
                    continue;
                }
                var (validationLoss, validationAccuracy) = Evaluate(validation, ct);
                metrics[RewardMetrics.Default.ValidationLoss] = validationLoss;
                metrics[RewardMetrics.Default.ValidationAccuracy] = validationAccuracy;
                context.Metrics.Log(names.ValidationLoss, validationLoss, epoch);
                context.Metrics.Log(names.ValidationAccuracy, validationAccuracy, epoch);
                if (validationLoss < bestValidationLoss)
                {
                    bestValidationLoss = validationLoss;
                    sinceBest = 0;
                    DisposeState(best);
                    best = Options.Patience > 0 ? CopyState() : null;
                }
                else if (Options.Patience > 0 && ++sinceBest >= Options.Patience)
                {
                    context.Logger.LogInformation("Reward model: validation loss has not improved for {Patience} epochs; stopping after epoch {Epoch} and keeping the best.", Options.Patience, epoch);
                    break;
                }
            }
        }
        if (best is not null)
        {
            RestoreState(best);
            DisposeState(best);
            if (validation.Count > 0)
            {
                (metrics[RewardMetrics.Default.ValidationLoss], metrics[RewardMetrics.Default.ValidationAccuracy]) = Evaluate(validation, ct);
            }
        }
        _cacheScores = true;
        if (Options.Normalization == RewardNormalization.TrainingResponses)
        {
            Normalise([.. train, .. validation], ct);
        }
        metrics[RewardModelMetrics.Labels] = train.Count + validation.Count;
        metrics[RewardModelMetrics.TrainLabels] = train.Count;
        metrics[RewardModelMetrics.ValidationLabels] = validation.Count;
        return metrics;
    }

    /// <summary>Raw head outputs under no_grad, in eval mode, in batches (once per distinct response after training).</summary>
    internal double[] RawScores(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        if (!_cacheScores)
        {
            return ComputeRawScores(responses, ct);
        }
        List<Response> missing = [.. responses.Where(r => !_rawScores.ContainsKey(Key(r))).DistinctBy(Key)];
        if (missing.Count > 0)
        {
            if (_rawScores.Count + missing.Count > MaxCachedScores)
            {
                _rawScores.Clear();
            }
            double[] computed = ComputeRawScores(missing, ct);
            for (int i = 0; i < missing.Count; i++)
            {
                _rawScores[Key(missing[i])] = computed[i];
            }
        }
        return [.. responses.Select(r => _rawScores[Key(r)])];
    }

    private double[] ComputeRawScores(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        Linear head = _head ?? throw new InvalidOperationException("The reward model has not been trained yet (run train-reward-model first).");
        var scores = new double[responses.Count];
        SetTraining(false);
        using var noGrad = no_grad();
        for (int start = 0; start < responses.Count; start += Options.ScoreBatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(Options.ScoreBatchSize, responses.Count - start);
            using var scope = NewDisposeScope();
            var features = Features([.. responses.Skip(start).Take(count)]);
            float[] values = head.call(features).reshape(count).ToArray<float>();
            for (int i = 0; i < count; i++)
            {
                scores[start + i] = values[i];
            }
        }
        return scores;
    }

    private (Tensor First, Tensor Second) PairRewards(IReadOnlyList<PairwiseFeedback> batch, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Response[] responses = [.. batch.Select(p => p.First), .. batch.Select(p => p.Second)];
        var rewards = _head!.call(Features(responses)).reshape(responses.Length);
        return (rewards.narrow(0, 0, batch.Count), rewards.narrow(0, batch.Count, batch.Count));
    }

    /// <summary>The head's input: the encodings, followed by the likelihood features when the model uses them.</summary>
    private Tensor Features(IReadOnlyList<Response> responses) => _features!.Compute(responses);

    /// <summary>Each response's likelihood features from its per-token scores: [total/10, mean, −(total excess surprisal)/10, −(largest excess surprisal)], where a token's excess surprisal is −log π − H(π) at its step; padding (mask 0) is skipped.</summary>
    /// <param name="logProbs">log π(token | prefix) per position, [responses, tokens].</param>
    /// <param name="entropy">The entropy of π at each position, same shape.</param>
    /// <param name="mask">1 for response tokens, 0 for padding, same shape.</param>
    /// <returns>The four features per response, [responses, 4], float32.</returns>
    public static Tensor LikelihoodFeatures(Tensor logProbs, Tensor entropy, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(entropy);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        // Sums in float64 on the scorer's device, as the host loop this replaced summed in double; a token's excess
        // is formed in the scores' own precision first, as that loop formed it.
        Tensor m = mask.to(ScalarType.Float64), logP = logProbs.to(ScalarType.Float64);
        Tensor excess = logProbs.neg().sub(entropy).to(ScalarType.Float64); // −log π − H per token
        Tensor count = m.sum(1);
        Tensor total = logP.mul(m).sum(1);
        Tensor largest = where(m.gt(0), excess, double.NegativeInfinity).max(1).values;
        // Signs make every feature "higher is more like what the policy expected".
        Tensor features = stack([total.div(10), total.div(count.clamp(1, double.MaxValue)), excess.mul(m).sum(1).neg().div(10), largest.neg()], 1);
        // A row without tokens: the loop's untouched sums, signed zeros included (+0, +0, −0, −0).
        Tensor empty = tensor(new[] { 0.0, 0.0, -0.0, -0.0 }, [1, ResponseFeatures.LikelihoodCount]);
        features = where(count.gt(0).unsqueeze(1), features, empty);
        return features.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private static string Key(Response response) => ResponseFeatures.Key(response);

    private (double Loss, double Accuracy) Evaluate(IReadOnlyList<PairwiseFeedback> pairs, CancellationToken ct)
    {
        Response[] responses = [.. pairs.Select(p => p.First), .. pairs.Select(p => p.Second)];
        double[] raw = RawScores(responses, ct);
        double loss = 0, correct = 0, decided = 0;
        for (int i = 0; i < pairs.Count; i++)
        {
            double margin = raw[i] - raw[pairs.Count + i];
            double p = BradleyTerryLoss.Probability(margin, Options.RandomAnswerRate);
            double y = pairs[i].PreferFirst;
            loss -= Options.RandomAnswerRate == 0
                ? (y * LogSigmoid(margin)) + ((1 - y) * LogSigmoid(-margin))
                : (y * Math.Log(p)) + ((1 - y) * Math.Log(1 - p));
            if (y != 0.5)
            {
                decided++;
                correct += (margin > 0) == (y > 0.5) && margin != 0 ? 1 : 0;
            }
        }
        return (loss / pairs.Count, decided == 0 ? double.NaN : correct / decided);
    }

    private static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

    /// <summary>How many decided labels the rewards order the same way, and how many labels were decided (ties excluded).</summary>
    private static (double Correct, double Decided) Agreement(IReadOnlyList<PairwiseFeedback> batch, float[] first, float[] second)
    {
        double correct = 0, decided = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch[i].PreferFirst == 0.5)
            {
                continue;
            }
            decided++;
            float margin = first[i] - second[i];
            correct += margin != 0 && (margin > 0) == (batch[i].PreferFirst > 0.5) ? 1 : 0;
        }
        return (correct, decided);
    }

    private void Normalise(IReadOnlyList<PairwiseFeedback> pairs, CancellationToken ct)
    {
        List<Response> reference = [.. pairs.SelectMany(p => new[] { p.First, p.Second }).DistinctBy(Key)];
        double[] raw = RawScores(reference, ct);
        double mean = raw.Average();
        double variance = raw.Sum(r => (r - mean) * (r - mean)) / raw.Length;
        _offset = mean;
        _scale = variance > 1e-12 ? Math.Sqrt(variance) : 1;
    }

    private void SetTraining(bool training)
    {
        _head?.train(training);
        _features?.Encoder.Module.train(training && Options.TrainEncoder);
    }

    private IEnumerable<KeyValuePair<string, Tensor>> StateEntries() =>
        _head!.state_dict().Select(kv => KeyValuePair.Create("head." + kv.Key, kv.Value))
            .Concat(Options.TrainEncoder ? _features!.Encoder.Module.state_dict().Select(kv => KeyValuePair.Create("encoder." + kv.Key, kv.Value)) : []);

    private Dictionary<string, Tensor> CopyState()
    {
        using var noGrad = no_grad();
        return StateEntries().ToDictionary(kv => kv.Key, kv => kv.Value.clone().DetachFromDisposeScope(), StringComparer.Ordinal);
    }

    private void RestoreState(Dictionary<string, Tensor> state)
    {
        _rawScores.Clear();
        _head!.load_state_dict(Strip(state, "head."));
        if (Options.TrainEncoder)
        {
            _features!.Encoder.Module.load_state_dict(Strip(state, "encoder."));
        }
    }

    private static Dictionary<string, Tensor> Strip(Dictionary<string, Tensor> state, string prefix) =>
        state.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    private static void DisposeState(Dictionary<string, Tensor>? state)
    {
        foreach (Tensor t in state?.Values ?? Enumerable.Empty<Tensor>())
        {
            t.Dispose();
        }
    }

    private void DisposeNetworks()
    {
        _head?.Dispose();
        _head = null;
        _cacheScores = false;
        _rawScores.Clear();
        if (_ownsFeatures)
        {
            _features?.Dispose();
        }
        _features = null;
    }
}

/// <summary>The metric names one model's training logs under (an ensemble's members log under their own).</summary>
/// <param name="Loss">Training loss per epoch.</param>
/// <param name="Accuracy">Training accuracy per epoch.</param>
/// <param name="ValidationLoss">Validation loss per epoch.</param>
/// <param name="ValidationAccuracy">Validation accuracy per epoch.</param>
internal sealed record RewardMetrics(string Loss, string Accuracy, string ValidationLoss, string ValidationAccuracy)
{
    public static RewardMetrics Default { get; } = new(MetricNames.RewardModel.Loss, MetricNames.RewardModel.Accuracy, MetricNames.RewardModel.ValidationLoss, MetricNames.RewardModel.ValidationAccuracy);

    public static RewardMetrics Member(int index) => new(
        RewardModelMetrics.Member(index, MetricNames.RewardModel.Loss), RewardModelMetrics.Member(index, MetricNames.RewardModel.Accuracy),
        RewardModelMetrics.Member(index, MetricNames.RewardModel.ValidationLoss), RewardModelMetrics.Member(index, MetricNames.RewardModel.ValidationAccuracy));
}
