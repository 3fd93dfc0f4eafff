using System.Globalization;
using MathNet.Numerics.Distributions;

namespace AlignFx.Evaluation;

/// <summary>A sample mean with its two-sided 95% confidence interval (Student's t), as compares report a metric over seeds.</summary>
/// <param name="Mean">The sample mean.</param>
/// <param name="HalfWidth">Half the interval's width (NaN with fewer than two values).</param>
/// <param name="Count">The number of values.</param>
public readonly record struct MeanWithInterval(double Mean, double HalfWidth, int Count)
{
    /// <summary>The lower end of the interval (NaN with fewer than two values).</summary>
    public double Low => Mean - HalfWidth;

    /// <summary>The upper end of the interval (NaN with fewer than two values).</summary>
    public double High => Mean + HalfWidth;

    /// <summary>The mean and interval of <paramref name="values"/> (NaN values are left out).</summary>
    /// <param name="values">The sample, for example one metric's value per seed.</param>
    /// <returns>The mean with its interval.</returns>
    public static MeanWithInterval Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] xs = [.. values.Where(v => !double.IsNaN(v))];
        if (xs.Length == 0)
        {
            return new MeanWithInterval(double.NaN, double.NaN, 0);
        }
        double mean = xs.Average();
        if (xs.Length == 1)
        {
            return new MeanWithInterval(mean, double.NaN, 1);
        }
        double variance = xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1);
        return new MeanWithInterval(mean, StudentT975(xs.Length - 1) * Math.Sqrt(variance / xs.Length), xs.Length);
    }

    /// <summary>The 97.5% quantile of Student's t with <paramref name="df"/> degrees of freedom (Math.NET).</summary>
    /// <param name="df">Degrees of freedom, positive (fractional for Welch's test).</param>
    /// <returns>The quantile.</returns>
    public static double StudentT975(double df)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(df, 0);
        return StudentT.InvCDF(0, 1, df, 0.975);
    }

    /// <summary>"mean ± half-width" with four significant digits.</summary>
    /// <returns>The text, or "n/a" for an empty sample.</returns>
    public override string ToString() =>
        Count == 0 ? "n/a" : double.IsNaN(HalfWidth) ? Format(Mean) : $"{Format(Mean)} ± {Format(HalfWidth)}";

    /// <summary>A value with four significant digits, invariant culture.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
