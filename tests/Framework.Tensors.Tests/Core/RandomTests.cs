using static AlignFx.Tensors.torch;
using F = AlignFx.Tensors.torch.nn.functional;

namespace AlignFx.Tensors.Tests.Core;

/// <summary>Seeded generators: bitwise reproducibility and sane distributions.</summary>
public class RandomTests
{
    [Fact]
    public void Xoshiro256StarStarMatchesTheReferenceSequence()
    {
        var g = new Generator(0);
        g.set_state([1, 2, 3, 4]);
        Assert.Equal(11520UL, g.NextUInt64());
        Assert.Equal(0UL, g.NextUInt64());
        Assert.Equal(1509978240UL, g.NextUInt64());
        Assert.Equal(1215971899390074240UL, g.NextUInt64());
    }

    [Fact]
    public void SameSeedGivesBitwiseIdenticalDraws()
    {
        Tensor[] Draw(long seed)
        {
            var g = new Generator(seed);
            return
            [
                randn([257], generator: g), rand([33], dtype: float64, generator: g), randint(-5, 9, [100], generator: g),
                multinomial(tensor(new float[] { 0.1f, 0, 0.6f, 0.3f }), 3, generator: g),
                F.dropout(ones(64), 0.5, generator: g), sample_categorical(randn([4, 6], generator: g), g),
            ];
        }
        var a = Draw(42);
        var b = Draw(42);
        var c = Draw(43);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(a[i].eq(b[i]).all(), $"draw {i} differs with the same seed");
        }
        Assert.False(a[0].eq(c[0]).all());
        manual_seed(7);
        var d1 = randn(5).ToArray<float>();
        manual_seed(7);
        Assert.Equal(d1, randn(5).ToArray<float>());
        Assert.Equal(7, initial_seed());
    }

    [Fact]
    public void DistributionsHaveTheRightMomentsAndRanges()
    {
        var g = new Generator(1);
        var n = randn([100000], dtype: float64, generator: g);
        Assert.InRange(n.mean().item<double>(), -0.02, 0.02);
        Assert.InRange(n.std().item<double>(), 0.98, 1.02);
        var u = rand([100000], generator: g);
        Assert.InRange(u.min().item<float>(), 0f, 0.001f);
        Assert.InRange(u.max().item<float>(), 0.999f, 1f);
        var r = randint(3, 7, [10000], generator: g);
        Assert.Equal(3, r.min().item<long>());
        Assert.Equal(6, r.max().item<long>());
        var probs = tensor(new double[] { 0.2, 0, 0.5, 0.3 });
        var s = multinomial(probs, 20000, replacement: true, generator: g);
        var counts = new double[4];
        foreach (var v in s.ToArray<long>())
        {
            counts[v]++;
        }
        Assert.Equal(0, counts[1]);
        Assert.InRange(counts[2] / 20000, 0.48, 0.52);
        Assert.InRange(counts[3] / 20000, 0.28, 0.32);
        var noRep = multinomial(tensor(new double[] { 1, 1, 1, 1, 0 }), 4, generator: g).ToArray<long>();
        Assert.Equal(new long[] { 0, 1, 2, 3 }, noRep.Order().ToArray());
        var cat = sample_categorical(tensor(new float[] { 0, 50, 0, -50, 0, 0 }, [2, 3]), g).ToArray<long>();
        Assert.Equal(1, cat[0]);
        Assert.NotEqual(0, cat[1]);
    }

    [Fact]
    public void DropoutZeroesAboutPAndScalesTheRest()
    {
        var x = ones(200000);
        var y = F.dropout(x, 0.3, generator: new Generator(5)).ToArray<float>();
        double zeros = y.Count(v => v == 0) / (double)y.Length;
        Assert.InRange(zeros, 0.29, 0.31);
        Assert.All(y.Where(v => v != 0), v => Assert.Equal(1 / 0.7f, v, 1e-6f));
        Assert.Same(x, F.dropout(x, 0.3, training: false));
        Assert.Equal(0f, F.dropout(x, 1.0).sum().item<float>());
    }
}
