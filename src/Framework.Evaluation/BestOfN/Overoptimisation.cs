namespace AlignFx.Evaluation;

/// <summary>
/// The arithmetic of the overoptimisation study of Gao, Schulman and Hilton (2022): the analytic KL of best-of-n,
/// the unbiased best-of-n estimator from one pool of samples, and the least-squares fits of gold reward against
/// d = sqrt(KL).
/// </summary>
public static class Overoptimisation
{
    /// <summary>The KL divergence of best-of-n sampling from the base policy, <c>log n − (n−1)/n</c> (an upper bound; Beirami et al. 2024).</summary>
    /// <param name="n">The number of samples the best is chosen from (at least 1).</param>
    /// <returns>The KL in nats (0 at n = 1).</returns>
    public static double BestOfNKl(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return Math.Log(n) - (n - 1.0) / n;
    }

    /// <summary>
    /// The probability that the item of rank <c>i</c> (0-based, ascending by proxy) is the proxy-best of a uniformly
    /// random <paramref name="n"/>-subset of <paramref name="poolSize"/> items: <c>C(i, n−1) / C(N, n)</c>.
    /// </summary>
    /// <param name="poolSize">N, the number of items.</param>
    /// <param name="n">The subset size, 1 ≤ n ≤ N.</param>
    /// <returns>One weight per rank; they sum to 1.</returns>
    public static double[] BestOfNRankWeights(int poolSize, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, poolSize);
        var weights = new double[poolSize];
        // w_{n−1} = 1/C(N, n); w_{i+1} = w_i · (i+1)/(i+2−n), the ratio C(i+1, n−1)/C(i, n−1). In logarithms: C(1024, 512)
        // is past double's range, and 1/C underflows long before the largest weights are reached.
        double logWeight = -LogBinomial(poolSize, n);
        for (int i = n - 1; i < poolSize; i++)
        {
            weights[i] = Math.Exp(logWeight);
            logWeight += Math.Log((i + 1.0) / (i + 2.0 - n));
        }
        return weights;
    }

    /// <summary>
    /// The expected gold and proxy reward of the proxy-argmax over a uniformly random <paramref name="n"/>-subset of
    /// one prompt's samples, without drawing subsets: items are ranked by proxy (ties by position, the later wins) and
    /// weighted by <see cref="BestOfNRankWeights"/>.
    /// </summary>
    /// <param name="proxy">The proxy reward of each sample.</param>
    /// <param name="gold">The gold reward of each sample (same length).</param>
    /// <param name="n">The subset size, 1 ≤ n ≤ the number of samples.</param>
    /// <returns>The expected gold and proxy reward of the chosen sample.</returns>
    public static (double Gold, double Proxy) BestOfN(IReadOnlyList<double> proxy, IReadOnlyList<double> gold, int n)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(gold);
        if (proxy.Count != gold.Count)
        {
            throw new ArgumentException($"{proxy.Count} proxy rewards but {gold.Count} gold rewards.", nameof(gold));
        }
        int[] order = [.. Enumerable.Range(0, proxy.Count).OrderBy(i => proxy[i]).ThenBy(i => i)];
        double[] weights = BestOfNRankWeights(proxy.Count, n);
        double g = 0, p = 0;
        for (int rank = 0; rank < order.Length; rank++)
        {
            g += weights[rank] * gold[order[rank]];
            p += weights[rank] * proxy[order[rank]];
        }
        return (g, p);
    }

    /// <summary>
    /// Fits the best-of-n form <c>Δgold = d(α − βd)</c> by least squares without intercept (points with d = 0 fit
    /// exactly and are left out).
    /// </summary>
    /// <param name="sqrtKl">d of each point.</param>
    /// <param name="goldGain">gold(d) − gold(0) of each point.</param>
    /// <returns>α, β, R² and the peak d* = α / (2β).</returns>
    public static GoldFit FitBestOfN(IReadOnlyList<double> sqrtKl, IReadOnlyList<double> goldGain)
    {
        GoldFit fit = Fit(sqrtKl, goldGain, d => -d * d);
        return fit with { PeakSqrtKl = fit.Beta > 0 ? fit.Alpha / (2 * fit.Beta) : double.PositiveInfinity };
    }

    /// <summary>
    /// Fits the reinforcement-learning form <c>Δgold = d(α − β·ln d)</c> by least squares without intercept (points
    /// with d = 0 fit exactly and are left out).
    /// </summary>
    /// <param name="sqrtKl">d of each point.</param>
    /// <param name="goldGain">gold(d) − gold(0) of each point.</param>
    /// <returns>α, β, R² and the peak d* = exp(α/β − 1).</returns>
    public static GoldFit FitRl(IReadOnlyList<double> sqrtKl, IReadOnlyList<double> goldGain)
    {
        GoldFit fit = Fit(sqrtKl, goldGain, d => -d * Math.Log(d));
        return fit with { PeakSqrtKl = fit.Beta > 0 ? Math.Exp(fit.Alpha / fit.Beta - 1) : double.PositiveInfinity };
    }

    /// <summary>The gold gain a fit predicts at <paramref name="d"/>.</summary>
    /// <param name="fit">The fit.</param>
    /// <param name="d">sqrt(KL), non-negative.</param>
    /// <param name="rl">True for the RL form, false for best-of-n.</param>
    /// <returns>Δgold(d).</returns>
    public static double Predict(GoldFit fit, double d, bool rl)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (d <= 0)
        {
            return 0;
        }
        return rl ? d * (fit.Alpha - fit.Beta * Math.Log(d)) : d * (fit.Alpha - fit.Beta * d);
    }

    /// <summary>y ≈ α·d + β·second(d) by least squares (Math.NET's QR solve), and R² = 1 − SS_res/SS_tot on y.</summary>
    private static GoldFit Fit(IReadOnlyList<double> sqrtKl, IReadOnlyList<double> goldGain, Func<double, double> second)
    {
        ArgumentNullException.ThrowIfNull(sqrtKl);
        ArgumentNullException.ThrowIfNull(goldGain);
        if (sqrtKl.Count != goldGain.Count)
        {
            throw new ArgumentException($"{sqrtKl.Count} values of d but {goldGain.Count} gold gains.", nameof(goldGain));
        }
        var points = sqrtKl.Zip(goldGain).Where(p => p.First > 0 && double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        // A rank check on the normal equations first: nearly collinear columns have no meaningful fit.
        double s11 = points.Sum(p => p.First * p.First), s22 = points.Sum(p => second(p.First) * second(p.First));
        double s12 = points.Sum(p => p.First * second(p.First));
        double det = s11 * s22 - s12 * s12;
        if (points.Count < 2 || Math.Abs(det) <= 1e-12 * Math.Max(1, s11 * s22))
        {
            return new GoldFit(double.NaN, double.NaN, double.NaN, double.NaN, points.Count);
        }
        double[] coefficients = MathNet.Numerics.Fit.LinearCombination(
            [.. points.Select(p => p.First)], [.. points.Select(p => p.Second)], d => d, second);
        double alpha = coefficients[0], beta = coefficients[1];
        double mean = points.Average(p => p.Second);
        double ssRes = points.Sum(p => Math.Pow(p.Second - (alpha * p.First + beta * second(p.First)), 2));
        double ssTot = points.Sum(p => Math.Pow(p.Second - mean, 2));
        double r2 = ssTot > 0 ? 1 - ssRes / ssTot : double.NaN;
        return new GoldFit(alpha, beta, r2, double.NaN, points.Count);
    }

    private static double LogBinomial(int n, int k)
    {
        double result = 0;
        for (int i = 1; i <= k; i++)
        {
            result += Math.Log((n - k + i) / (double)i);
        }
        return result;
    }
}

/// <summary>A fit of gold gain against d = sqrt(KL) (Gao et al. 2022).</summary>
/// <param name="Alpha">α.</param>
/// <param name="Beta">β.</param>
/// <param name="RSquared">1 − SS_res/SS_tot over the fitted points (NaN when the gains do not vary).</param>
/// <param name="PeakSqrtKl">The d at which the fitted gold peaks (+∞ when β ≤ 0; NaN when there was nothing to fit).</param>
/// <param name="Points">The points with d &gt; 0 the fit used.</param>
public sealed record GoldFit(double Alpha, double Beta, double RSquared, double PeakSqrtKl, int Points);
