using AlignFx.Abstractions.Runs;
using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.Abstractions.Tests.Runs;

public class RandomStreamsTests
{
    // Reference values computed independently (a Python transcription of the documented FNV-1a-64 + SplitMix64 derivation).
    [Theory]
    [InlineData(42L, "policy", 8407767822264288775L)]
    [InlineData(0L, "", 6566800829925814604L)]
    [InlineData(-1L, "ppo/rollouts", -3354074172277673510L)]
    [InlineData(7L, "é", -9185003136955638617L)]
    public void DerivationMatchesTheDocumentedFormula(long seed, string name, long expected) =>
        Assert.Equal(expected, RandomStreams.Derive(seed, name));

    [Fact]
    public void TheSameNameGivesTheSameStreamEveryTime()
    {
        double[] first = Draw(RandomStreams.Create(123, "feedback/annotators"), 1000);
        double[] second = Draw(RandomStreams.Create(123, "feedback/annotators"), 1000);

        Assert.Equal(first, second);
    }

    [Fact]
    public void StreamsOfNeighbouringNamesAreUncorrelated()
    {
        // 20 pairs of names one character apart; with 4,000 draws the correlation of independent streams has
        // standard deviation 1/sqrt(4000) = 0.016, so |r| < 0.08 is a 5-sigma bound.
        for (int i = 0; i < 20; i++)
        {
            double[] a = Draw(RandomStreams.Create(2024, $"stage/{i}/a"), 4000);
            double[] b = Draw(RandomStreams.Create(2024, $"stage/{i}/b"), 4000);
            Assert.InRange(Correlation(a, b), -0.08, 0.08);
            Assert.InRange(a.Average(), 0.5 - 0.03, 0.5 + 0.03); // uniform mean 0.5, sd of the mean 0.0046
        }
    }

    [Fact]
    public void DerivedSeedsOfManyNamesAreDistinctAndWellMixed()
    {
        long[] seeds = [.. Enumerable.Range(0, 10_000).Select(i => RandomStreams.Derive(1, $"sample/{i}"))];

        Assert.Equal(seeds.Length, seeds.Distinct().Count());
        // Each bit is set in about half of the seeds (binomial sd 50 of 10,000 draws: bound at 5 sigma).
        for (int bit = 0; bit < 64; bit++)
        {
            int set = seeds.Count(s => ((s >> bit) & 1) == 1);
            Assert.InRange(set, 5000 - 250, 5000 + 250);
        }
    }

    [Fact]
    public void NamesAndSeedsBothMatter() =>
        Prop.ForAll<long, NonNull<string>, NonNull<string>>((seed, a, b) =>
        {
            bool sameName = a.Get == b.Get;
            bool sameStream = RandomStreams.Derive(seed, a.Get) == RandomStreams.Derive(seed, b.Get);
            bool seedMatters = RandomStreams.Derive(seed, a.Get) != RandomStreams.Derive(unchecked(seed + 1), a.Get);
            return sameName == sameStream && seedMatters;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void DerivedSeedsNestLikeRunAndStageSeeds()
    {
        long stage = RandomStreams.Derive(99, "stage/2/optimise");

        Assert.Equal(Draw(RandomStreams.Create(stage, "ppo/rollouts"), 10), Draw(RandomStreams.Create(RandomStreams.Derive(99, "stage/2/optimise"), "ppo/rollouts"), 10));
        Assert.NotEqual(Draw(RandomStreams.Create(stage, "ppo/rollouts"), 10), Draw(RandomStreams.Create(99, "ppo/rollouts"), 10));
    }

    private static double[] Draw(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => random.NextDouble())];

    private static double Correlation(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
