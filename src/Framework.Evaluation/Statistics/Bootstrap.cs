namespace AlignFx.Evaluation;

/// <summary>Percentile bootstrap intervals, for statistics without a closed-form interval (medians, ratios, fits).</summary>
public static class Bootstrap
{
    /// <summary>
    /// The percentile bootstrap interval of <paramref name="statistic"/>: resamples <paramref name="values"/> with
    /// replacement <paramref name="resamples"/> times and takes the (1 − level)/2 and (1 + level)/2 quantiles of the
    /// statistic over the resamples (Math.NET's R-7 quantile, as numpy's default). The same seed gives the same interval.
    /// </summary>
    /// <param name="values">The sample (at least one value).</param>
    /// <param name="statistic">The statistic, for example the median.</param>
    /// <param name="seed">Seeds the resampling.</param>
    /// <param name="resamples">How many resamples (at least 100).</param>
    /// <param name="level">The interval's coverage, in (0, 1).</param>
    /// <returns>The interval's ends.</returns>
    public static (double Low, double High) PercentileInterval(IReadOnlyList<double> values, Func<IReadOnlyList<double>, double> statistic,
        long seed, int resamples = 2000, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(statistic);
        ArgumentOutOfRangeException.ThrowIfLessThan(values.Count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 100);
        if (level is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "The coverage must be in (0, 1), for example 0.95.");
        }
        var random = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        var stats = new double[resamples];
        var sample = new double[values.Count];
        for (int r = 0; r < resamples; r++)
        {
            for (int i = 0; i < sample.Length; i++)
            {
                sample[i] = values[random.Next(values.Count)];
            }
            stats[r] = statistic(sample);
        }
        return (MathNet.Numerics.Statistics.Statistics.QuantileCustom(stats, (1 - level) / 2, MathNet.Numerics.Statistics.QuantileDefinition.R7),
                MathNet.Numerics.Statistics.Statistics.QuantileCustom(stats, (1 + level) / 2, MathNet.Numerics.Statistics.QuantileDefinition.R7));
    }
}
