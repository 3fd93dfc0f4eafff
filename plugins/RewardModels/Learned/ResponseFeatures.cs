using System.Globalization;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tensors;
using static AlignFx.Tensors.torch;

namespace AlignFx.RewardModels;

/// <summary>
/// What a Bradley–Terry head reads of a response: the encoder's encoding, followed by the frozen policy's likelihood
/// features when the model uses them. A frozen encoder's encodings and the likelihood features never change, so they
/// are computed once per distinct response and cached; the members of an ensemble of probes share one instance, which
/// makes scoring with k members cost one pass of the policy per response instead of 2k.
/// </summary>
internal sealed class ResponseFeatures : IDisposable
{
    /// <summary>How many likelihood features follow the encoding (see <see cref="BradleyTerryRewardModel.LikelihoodFeatures"/>).</summary>
    public const int LikelihoodCount = 4;

    private readonly Dictionary<string, float[]> _encodings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _likelihoods = new(StringComparer.Ordinal);
    private readonly ITrainablePolicy? _scorer;
    private readonly bool _trainableEncoder;
    private readonly int _batchSize;

    private ResponseFeatures(ISequenceEncoder encoder, ITrainablePolicy? scorer, bool trainableEncoder, int batchSize)
    {
        Encoder = encoder;
        _scorer = scorer;
        _trainableEncoder = trainableEncoder;
        _batchSize = batchSize;
    }

    /// <summary>A new encoder copy of <paramref name="source"/>'s trunk and, when <paramref name="options"/> ask for likelihood features and the source can score tokens, a frozen snapshot of it.</summary>
    public static ResponseFeatures Create(ISequenceEncoderSource source, BradleyTerryOptions options)
    {
        ISequenceEncoder encoder = source.CreateEncoder();
        ITrainablePolicy? scorer = options.LikelihoodFeatures && source is ITrainablePolicy policy && policy.Snapshot() is ITrainablePolicy frozen ? frozen : null;
        return new ResponseFeatures(encoder, scorer, options.TrainEncoder, options.ScoreBatchSize);
    }

    /// <summary>The encoder (trained with the head when the model fine-tunes it).</summary>
    public ISequenceEncoder Encoder { get; }

    /// <summary>Whether likelihood features follow the encoding.</summary>
    public bool HasLikelihoods => _scorer is not null;

    /// <summary>The size of a feature vector.</summary>
    public int Dimension => Encoder.Dimension + (HasLikelihoods ? LikelihoodCount : 0);

    /// <summary>[responses, <see cref="Dimension"/>]: inside the autograd graph for a trainable encoder, from the caches otherwise.</summary>
    public Tensor Compute(IReadOnlyList<Response> responses)
    {
        Tensor encodings = _trainableEncoder ? Encoder.Encode(responses) : Cached(responses, _encodings, Encoder.Dimension, EncodeFrozen);
        if (_scorer is null)
        {
            return encodings;
        }
        using var likelihoods = Cached(responses, _likelihoods, LikelihoodCount, ScoreLikelihoods);
        return cat([encodings, likelihoods], 1);
    }

    /// <summary>A response's cache key: its prompt and its tokens (or text).</summary>
    public static string Key(Response response) =>
        response.TokenIds is { } ids
            ? string.Concat(response.Prompt.Text, "\u0001", string.Join(',', ids.Select(i => i.ToString(CultureInfo.InvariantCulture))))
            : string.Concat(response.Prompt.Text, "\u0000", response.Text);

    /// <summary>Releases the encoder and the scorer.</summary>
    public void Dispose()
    {
        (Encoder as IDisposable)?.Dispose();
        Encoder.Module.Dispose();
        (_scorer as IDisposable)?.Dispose();
        _encodings.Clear();
        _likelihoods.Clear();
    }

    /// <summary>Fills <paramref name="cache"/> for the responses it lacks (in batches, without gradients) and returns the rows in order.</summary>
    private Tensor Cached(IReadOnlyList<Response> responses, Dictionary<string, float[]> cache, int width, Action<List<Response>, Dictionary<string, float[]>> fill)
    {
        List<Response> missing = [.. responses.Where(r => !cache.ContainsKey(Key(r))).DistinctBy(Key)];
        if (missing.Count > 0)
        {
            using var noGrad = no_grad();
            for (int start = 0; start < missing.Count; start += _batchSize)
            {
                using var scope = NewDisposeScope();
                fill([.. missing.Skip(start).Take(_batchSize)], cache);
            }
        }
        var data = new float[responses.Count * width];
        for (int i = 0; i < responses.Count; i++)
        {
            cache[Key(responses[i])].CopyTo(data, i * width);
        }
        return tensor(data, [responses.Count, width]);
    }

    private void EncodeFrozen(List<Response> chunk, Dictionary<string, float[]> cache)
    {
        Encoder.Module.eval();
        float[] values = Encoder.Encode(chunk).ToArray<float>();
        int width = Encoder.Dimension;
        for (int i = 0; i < chunk.Count; i++)
        {
            cache[Key(chunk[i])] = values.AsSpan(i * width, width).ToArray();
        }
    }

    private void ScoreLikelihoods(List<Response> chunk, Dictionary<string, float[]> cache)
    {
        TokenScores scores = _scorer!.ScoreTokens(chunk);
        // The cache is keyed by response text on the host; [chunk, 4] floats per batch come back, not the tokens.
        float[] features = BradleyTerryRewardModel.LikelihoodFeatures(scores.LogProbs, scores.Entropy, scores.Mask).ToArray<float>();
        for (int i = 0; i < chunk.Count; i++)
        {
            cache[Key(chunk[i])] = features.AsSpan(i * LikelihoodCount, LikelihoodCount).ToArray();
        }
    }
}
