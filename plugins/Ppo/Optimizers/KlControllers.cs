namespace AlignFx.Ppo;

/// <summary>The KL coefficient β of the penalty β·KL, updated once per PPO step.</summary>
public interface IKlController
{
    /// <summary>The current coefficient.</summary>
    double Value { get; }

    /// <summary>Updates the coefficient after a step.</summary>
    /// <param name="currentKl">The step's mean KL per sequence.</param>
    /// <param name="steps">The number of sequences the step used (n_steps in lm-human-preferences, the batch size in TRL v0.11).</param>
    void Update(double currentKl, int steps);
}

/// <summary>A coefficient that never changes.</summary>
/// <param name="value">β.</param>
public sealed class FixedKlController(double value) : IKlController
{
    /// <inheritdoc />
    public double Value { get; } = value;

    /// <inheritdoc />
    public void Update(double currentKl, int steps)
    {
    }
}

/// <summary>
/// The adaptive controller of Ziegler et al. 2019 (lm-human-preferences <c>AdaptiveKLController</c>, TRL v0.11
/// <c>AdaptiveKLController</c>): β ← β · (1 + clip(KL/target − 1, −0.2, 0.2) · n_steps / horizon), a proportional
/// controller that steers the KL towards the target.
/// </summary>
/// <param name="initial">The starting β.</param>
/// <param name="target">The KL the controller aims at.</param>
/// <param name="horizon">How many sequences it takes to correct an error (10,000 in both references).</param>
public sealed class AdaptiveKlController(double initial, double target, double horizon) : IKlController
{
    /// <inheritdoc />
    public double Value { get; private set; } = initial;

    /// <summary>The factor one update applies, 1 + clip(KL/target − 1, ±0.2) · n_steps / horizon.</summary>
    /// <param name="currentKl">The measured KL.</param>
    /// <param name="steps">n_steps.</param>
    /// <returns>The multiplier.</returns>
    public double Multiplier(double currentKl, int steps) =>
        1 + (Math.Clamp((currentKl / target) - 1, -0.2, 0.2) * steps / horizon);

    /// <inheritdoc />
    public void Update(double currentKl, int steps) => Value *= Multiplier(currentKl, steps);
}

/// <summary>
/// Running mean and standard deviation of scores across steps, merged batch by batch (Chan et al.'s parallel update,
/// as TRL v0.11's <c>RunningMoments</c>), for reward scaling.
/// </summary>
public sealed class RunningMoments
{
    private double _mean, _m2;
    private long _count;

    /// <summary>The running mean.</summary>
    public double Mean => _mean;

    /// <summary>The running (unbiased) standard deviation; 1 before two values were seen.</summary>
    public double StdDev => _count < 2 ? 1 : Math.Sqrt(_m2 / (_count - 1));

    /// <summary>Adds a batch of values.</summary>
    /// <param name="values">The batch.</param>
    public void Update(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return;
        }
        double batchMean = values.Average();
        double batchM2 = values.Sum(v => (v - batchMean) * (v - batchMean));
        long total = _count + values.Count;
        double delta = batchMean - _mean;
        _mean += delta * values.Count / total;
        _m2 += batchM2 + (delta * delta * _count * values.Count / total);
        _count = total;
    }
}
