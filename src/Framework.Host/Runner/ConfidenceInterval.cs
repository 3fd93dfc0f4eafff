namespace AlignFx.Host.Runner;

/// <summary>A sample mean with its two-sided 95% confidence interval (Student's t).</summary>
/// <param name="Mean">The sample mean.</param>
/// <param name="HalfWidth">Half the interval's width (NaN with fewer than two values).</param>
/// <param name="Count">The number of values.</param>
public readonly record struct MeanWithInterval(double Mean, double HalfWidth, int Count)
{
    /// <summary>The mean and interval of <paramref name="values"/> (NaN values are left out).</summary>
    public static MeanWithInterval Of(IEnumerable<double> values)
    {
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

    /// <summary>
    /// The 97.5% quantile of Student's t with <paramref name="df"/> degrees of freedom: exact table values to 30,
    /// beyond that the Cornish–Fisher expansion around the normal quantile (error below 1e-4 there).
    /// No statistics package is available here, so this small table stands in for one.
    /// </summary>
    public static double StudentT975(int df)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(df, 1);
        if (df <= Table.Length)
        {
            return Table[df - 1];
        }
        const double z = 1.959963984540054;
        double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
        return z + (z3 + z) / (4.0 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96.0 * df * df)
             + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384.0 * df * df * df);
    }

    private static readonly double[] Table =
    [
        12.7062047, 4.30265273, 3.18244631, 2.77644511, 2.57058184, 2.44691185, 2.36462425, 2.30600414, 2.26215716,
        2.22813885, 2.20098516, 2.17881283, 2.16036866, 2.14478669, 2.13144955, 2.11990530, 2.10981558, 2.10092204,
        2.09302405, 2.08596345, 2.07961384, 2.07387307, 2.06865761, 2.06389856, 2.05953855, 2.05552944, 2.05183052,
        2.04840714, 2.04522964, 2.04227246,
    ];

    /// <summary>"mean ± half-width" with four significant digits.</summary>
    public override string ToString() =>
        Count == 0 ? "n/a" : double.IsNaN(HalfWidth) ? Format(Mean) : $"{Format(Mean)} ± {Format(HalfWidth)}";

    internal static string Format(double value) => value.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
}
