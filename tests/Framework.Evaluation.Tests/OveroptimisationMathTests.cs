using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.Evaluation.Tests;

public sealed class OveroptimisationMathTests
{
    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.193)]
    [InlineData(4, 0.636)]
    [InlineData(16, 1.835)]
    [InlineData(1000, 5.909)]
    public void The_best_of_n_KL_matches_the_published_values(int n, double expected) =>
        Assert.Equal(expected, Overoptimisation.BestOfNKl(n), 3);

    [Fact]
    public void Rank_weights_are_a_distribution_that_favours_high_ranks()
    {
        double[] w = Overoptimisation.BestOfNRankWeights(10, 3);
        Assert.Equal(1.0, w.Sum(), 12);
        Assert.Equal(0, w[0]);
        Assert.Equal(0, w[1]);
        Assert.Equal(1.0 / 120, w[2], 12);  // C(2,2)/C(10,3)
        Assert.Equal(36.0 / 120, w[9], 12); // C(9,2)/C(10,3)
    }

    [Theory]
    [InlineData(1024, 512)]
    [InlineData(1024, 1024)]
    [InlineData(2048, 700)]
    public void Rank_weights_stay_a_distribution_where_the_binomial_is_past_double_range(int poolSize, int n)
    {
        // C(1024, 512) ≈ 4.5e306 and C(2048, 700) overflow a double on the way; a pool this large once gave weights of 0.
        double[] w = Overoptimisation.BestOfNRankWeights(poolSize, n);
        Assert.Equal(1.0, w.Sum(), 9);
        Assert.All(w, x => Assert.True(double.IsFinite(x) && x >= 0));
        // The top rank is chosen whenever it is in the subset: with probability n/N.
        Assert.Equal((double)n / poolSize, w[^1], 9);
    }

    [Fact]
    public void The_best_of_n_estimator_equals_brute_force_enumeration_of_every_subset()
    {
        // Small integer rewards make ties frequent: the tie rule (later position wins) must agree too.
        var pools = Gen.Choose(1, 9).SelectMany(size =>
            Gen.Choose(-3, 3).ArrayOf(size).SelectMany(proxy =>
                Gen.Choose(0, 5).ArrayOf(size).SelectMany(gold =>
                    Gen.Choose(1, size).Select(n => (Proxy: proxy, Gold: gold, N: n)))));
        Prop.ForAll(pools.ToArbitrary(), case_ =>
        {
            double[] proxy = [.. case_.Proxy.Select(v => (double)v)], gold = [.. case_.Gold.Select(v => (double)v)];
            var (g, p) = Overoptimisation.BestOfN(proxy, gold, case_.N);
            var (bg, bp) = BruteForce(proxy, gold, case_.N);
            return Math.Abs(g - bg) < 1e-9 && Math.Abs(p - bp) < 1e-9;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Best_of_one_is_the_mean_and_best_of_all_is_the_proxy_argmax()
    {
        double[] proxy = [0.3, -1, 2.5, 0.7], gold = [1, 0, 0, 1];
        Assert.Equal((0.5, 2.5 / 4), Overoptimisation.BestOfN(proxy, gold, 1));
        Assert.Equal((0.0, 2.5), Overoptimisation.BestOfN(proxy, gold, 4));
    }

    [Fact]
    public void The_best_of_n_fit_recovers_its_coefficients_exactly()
    {
        double[] d = [.. new[] { 1, 2, 4, 8, 16, 32, 64 }.Select(n => Math.Sqrt(Overoptimisation.BestOfNKl(n)))];
        double[] gain = [.. d.Select(x => x * (0.4 - 0.15 * x))];
        GoldFit fit = Overoptimisation.FitBestOfN(d, gain);
        Assert.Equal(0.4, fit.Alpha, 10);
        Assert.Equal(0.15, fit.Beta, 10);
        Assert.Equal(1.0, fit.RSquared, 10);
        Assert.Equal(0.4 / 0.3, fit.PeakSqrtKl, 10);
        Assert.Equal(6, fit.Points); // n = 1 has d = 0 and is left out
    }

    [Fact]
    public void The_RL_fit_recovers_its_coefficients_exactly()
    {
        double[] d = [0, 0.2, 0.5, 0.9, 1.4, 2.0, 3.1];
        double[] gain = [.. d.Select(x => x == 0 ? 0 : x * (0.3 - 0.2 * Math.Log(x)))];
        GoldFit fit = Overoptimisation.FitRl(d, gain);
        Assert.Equal(0.3, fit.Alpha, 10);
        Assert.Equal(0.2, fit.Beta, 10);
        Assert.Equal(1.0, fit.RSquared, 10);
        Assert.Equal(Math.Exp(0.3 / 0.2 - 1), fit.PeakSqrtKl, 10);
    }

    [Fact]
    public void R_squared_of_a_noisy_fit_matches_an_independent_computation()
    {
        var random = new Random(7);
        double[] d = [.. Enumerable.Range(1, 12).Select(i => i * 0.25)];
        double[] gain = [.. d.Select(x => x * (0.5 - 0.2 * x) + (random.NextDouble() - 0.5) * 0.1)];
        GoldFit fit = Overoptimisation.FitBestOfN(d, gain);

        // Independent: solve the least-squares problem by Cramer's rule on the design [d, -d²] written out here.
        double a11 = d.Sum(x => x * x), a12 = d.Sum(x => -x * x * x), a22 = d.Sum(x => x * x * x * x);
        double b1 = d.Zip(gain).Sum(t => t.First * t.Second), b2 = d.Zip(gain).Sum(t => -t.First * t.First * t.Second);
        double det = a11 * a22 - a12 * a12;
        double alpha = (b1 * a22 - a12 * b2) / det, beta = (a11 * b2 - a12 * b1) / det;
        double mean = gain.Average();
        double r2 = 1 - d.Zip(gain).Sum(t => Math.Pow(t.Second - t.First * (alpha - beta * t.First), 2)) / gain.Sum(y => (y - mean) * (y - mean));

        Assert.Equal(alpha, fit.Alpha, 10);
        Assert.Equal(beta, fit.Beta, 10);
        Assert.Equal(r2, fit.RSquared, 10);
        Assert.InRange(fit.RSquared, 0.5, 1.0);
    }

    [Fact]
    public void A_fit_without_enough_points_is_NaN()
    {
        GoldFit fit = Overoptimisation.FitBestOfN([0, 0.5], [0, 0.1]);
        Assert.True(double.IsNaN(fit.Alpha));
    }

    private static (double Gold, double Proxy) BruteForce(double[] proxy, double[] gold, int n)
    {
        double g = 0, p = 0;
        int count = 0;
        int size = proxy.Length;
        for (int mask = 0; mask < 1 << size; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != n)
            {
                continue;
            }
            int best = -1;
            for (int i = 0; i < size; i++)
            {
                // The later position wins a tie.
                if ((mask & (1 << i)) != 0 && (best < 0 || proxy[i] >= proxy[best]))
                {
                    best = i;
                }
            }
            g += gold[best];
            p += proxy[best];
            count++;
        }
        return (g / count, p / count);
    }
}
