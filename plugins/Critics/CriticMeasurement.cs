namespace AlignFx.Critics;

/// <summary>
/// A critic's general critiques measured against the truth of the responses' claims (the claim checker with no
/// verification limit), with two baselines: a critic that always says "no error", and one that flags at the measured
/// critic's rate at a claim drawn uniformly (its expected values, computed exactly).
/// </summary>
public sealed class CriticMeasurement
{
    private int _count, _flawed, _flagged, _flaggedRight, _right, _outside, _flawlessUnflagged;
    private double _guessHitsFlawed, _guessPointedFalse, _guessFlawless;

    /// <summary>Responses measured.</summary>
    public int Count => _count;

    /// <summary>Adds one response's critique.</summary>
    /// <param name="truth">Its claims' truth (null counts as true); the response must have at least one claim.</param>
    /// <param name="flagged">Whether the critique flags the response.</param>
    /// <param name="claimIndex">The claim it points at, or null.</param>
    /// <param name="outsideGrammar">Whether the reply was outside the grammar (and so no critique).</param>
    public void Add(IReadOnlyList<bool?> truth, bool flagged, int? claimIndex, bool outsideGrammar = false)
    {
        ArgumentNullException.ThrowIfNull(truth);
        if (truth.Count == 0)
        {
            throw new ArgumentException("A response without claims cannot be measured.", nameof(truth));
        }
        int falseClaims = truth.Count(t => t == false);
        bool flawed = falseClaims > 0;
        bool pointsAtFalse = flagged && claimIndex is { } i && i >= 0 && i < truth.Count && truth[i] == false;
        _count++;
        _flawed += flawed ? 1 : 0;
        _flagged += flagged ? 1 : 0;
        _flaggedRight += pointsAtFalse ? 1 : 0;
        _right += flawed ? (pointsAtFalse ? 1 : 0) : (flagged ? 0 : 1);
        _outside += outsideGrammar ? 1 : 0;
        _flawlessUnflagged += !flawed && !flagged ? 1 : 0;
        double share = (double)falseClaims / truth.Count;
        _guessPointedFalse += share;
        if (flawed)
        {
            _guessHitsFlawed += share;
        }
        else
        {
            _guessFlawless++;
        }
    }

    /// <summary>The measurements, by <see cref="CriticMetrics"/> name.</summary>
    /// <returns>Accuracy, precision, recall, flag rate, flawed rate, outside-grammar rate and the baselines (NaN where undefined).</returns>
    public IReadOnlyDictionary<string, double> Results()
    {
        static double Ratio(double a, double b) => b == 0 ? double.NaN : a / b;
        double q = Ratio(_flagged, _count);
        // The guesser flags each response with probability q at a claim drawn uniformly: right on a flawless response when
        // it does not flag, on a flawed one when it flags a false claim.
        double guessRightFlawed = q * _guessHitsFlawed;
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [CriticMetrics.HeldOut] = _count,
            [CriticMetrics.Accuracy] = Ratio(_right, _count),
            [CriticMetrics.Precision] = Ratio(_flaggedRight, _flagged),
            [CriticMetrics.Recall] = Ratio(_flaggedRight, _flawed),
            [CriticMetrics.Specificity] = Ratio(_flawlessUnflagged, _count - _flawed),
            [CriticMetrics.BalancedAccuracy] = (Ratio(_flaggedRight, _flawed) + Ratio(_flawlessUnflagged, _count - _flawed)) / 2,
            [CriticMetrics.FlagRate] = q,
            [CriticMetrics.FlawedRate] = Ratio(_flawed, _count),
            [CriticMetrics.OutsideGrammarRate] = Ratio(_outside, _count),
            [CriticMetrics.NoErrorAccuracy] = Ratio(_count - _flawed, _count),
            [CriticMetrics.GuessAccuracy] = Ratio(guessRightFlawed + ((1 - q) * _guessFlawless), _count),
            [CriticMetrics.GuessPrecision] = Ratio(_guessPointedFalse, _count),
            [CriticMetrics.GuessRecall] = Ratio(q * _guessHitsFlawed, _flawed),
        };
    }
}
