using AlignFx.Tensors.Backends.Cpu;
using static AlignFx.Tensors.torch;
using F = AlignFx.Tensors.torch.nn.functional;

namespace AlignFx.Tensors.Tests.Core;

/// <summary>Forward values against independent plain-loop computations.</summary>
public class ReferenceTests
{
    private static double[] D(Tensor t) => t.to(float64).ToArray<double>();

    private static void Close(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void BatchedMatmulWithBroadcastAndTransposesMatchesLoops(bool transA, bool transB)
    {
        var g = new Generator(3);
        // a: [2, 1, 3, 5] (batch broadcast over dim 1), b: [4, 5, 6]
        var a = transA ? randn([2, 1, 5, 3], generator: g).transpose(-1, -2) : randn([2, 1, 3, 5], generator: g);
        var b = transB ? randn([4, 6, 5], generator: g).transpose(-1, -2) : randn([4, 5, 6], generator: g);
        var c = a.matmul(b);
        Assert.Equal(new long[] { 2, 4, 3, 6 }, c.shape);
        var ac = a.contiguous().ToArray<float>();
        var bc = b.contiguous().ToArray<float>();
        var expected = new double[2 * 4 * 3 * 6];
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                for (int r = 0; r < 3; r++)
                {
                    for (int col = 0; col < 6; col++)
                    {
                        double s = 0;
                        for (int k = 0; k < 5; k++)
                        {
                            s += ac[(i * 3 + r) * 5 + k] * (double)bc[(j * 5 + k) * 6 + col];
                        }
                        expected[((i * 4 + j) * 3 + r) * 6 + col] = s;
                    }
                }
            }
        }
        Close(expected, D(c), 1e-5);
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxMatchLoopsIncludingMinusInfinity()
    {
        var x = tensor(new double[] { 1, 2, 3, double.NegativeInfinity, -1, 0, 1000, 1001 }, [2, 4]);
        var sm = D(x.softmax(-1));
        var lsm = D(x.log_softmax(1));
        var xs = x.ToArray<double>();
        for (int r = 0; r < 2; r++)
        {
            double m = double.NegativeInfinity;
            for (int j = 0; j < 4; j++)
            {
                m = Math.Max(m, xs[r * 4 + j]);
            }
            double z = 0;
            for (int j = 0; j < 4; j++)
            {
                z += Math.Exp(xs[r * 4 + j] - m);
            }
            for (int j = 0; j < 4; j++)
            {
                double lp = xs[r * 4 + j] - m - Math.Log(z);
                Assert.Equal(Math.Exp(lp), sm[r * 4 + j], 1e-12);
                if (double.IsNegativeInfinity(lp))
                {
                    Assert.True(double.IsNegativeInfinity(lsm[r * 4 + j]));
                }
                else
                {
                    Assert.Equal(lp, lsm[r * 4 + j], 1e-12);
                }
            }
        }
    }

    [Theory]
    [InlineData(0.0, nn.Reduction.Mean)]
    [InlineData(0.1, nn.Reduction.Mean)]
    [InlineData(0.25, nn.Reduction.Sum)]
    public void CrossEntropyWithIgnoreIndexAndLabelSmoothingMatchesLoops(double eps, nn.Reduction reduction)
    {
        var logits = randn([6, 5], dtype: float64, generator: new Generator(4));
        long[] target = [1, -100, 4, 0, -100, 2];
        var loss = F.cross_entropy(logits, tensor(target), reduction: reduction, label_smoothing: eps).item<double>();
        var x = logits.ToArray<double>();
        double total = 0;
        int count = 0;
        for (int r = 0; r < 6; r++)
        {
            if (target[r] == -100)
            {
                continue;
            }
            count++;
            double m = double.NegativeInfinity;
            for (int c = 0; c < 5; c++)
            {
                m = Math.Max(m, x[r * 5 + c]);
            }
            double z = 0;
            for (int c = 0; c < 5; c++)
            {
                z += Math.Exp(x[r * 5 + c] - m);
            }
            double lse = m + Math.Log(z);
            double rowLoss = 0;
            for (int c = 0; c < 5; c++)
            {
                double q = (c == target[r] ? 1 - eps : 0) + eps / 5;
                rowLoss -= q * (x[r * 5 + c] - lse);
            }
            total += rowLoss;
        }
        double expected = reduction == nn.Reduction.Mean ? total / count : total;
        Assert.Equal(expected, loss, 1e-12);
    }

    [Fact]
    public void LayerNormMatchesLoops()
    {
        var x = randn([4, 6], dtype: float64, generator: new Generator(5));
        var w = randn([6], dtype: float64, generator: new Generator(6));
        var b = randn([6], dtype: float64, generator: new Generator(7));
        var y = D(F.layer_norm(x, [6], w, b, eps: 1e-5));
        var xs = x.ToArray<double>();
        var ws = w.ToArray<double>();
        var bs = b.ToArray<double>();
        var expected = new double[24];
        for (int r = 0; r < 4; r++)
        {
            double mu = 0, v = 0;
            for (int j = 0; j < 6; j++)
            {
                mu += xs[r * 6 + j] / 6;
            }
            for (int j = 0; j < 6; j++)
            {
                v += (xs[r * 6 + j] - mu) * (xs[r * 6 + j] - mu) / 6;
            }
            for (int j = 0; j < 6; j++)
            {
                expected[r * 6 + j] = (xs[r * 6 + j] - mu) / Math.Sqrt(v + 1e-5) * ws[j] + bs[j];
            }
        }
        Close(expected, y, 1e-12);
    }

    [Fact]
    public void CausalAttentionMatchesLoops()
    {
        int t = 5, d = 3;
        var q = randn([1, 1, t, d], dtype: float64, generator: new Generator(8));
        var k = randn([1, 1, t, d], dtype: float64, generator: new Generator(9));
        var v = randn([1, 1, t, d], dtype: float64, generator: new Generator(10));
        var o = D(F.scaled_dot_product_attention(q, k, v, is_causal: true));
        double[] qs = q.ToArray<double>(), ks = k.ToArray<double>(), vs = v.ToArray<double>();
        var expected = new double[t * d];
        for (int i = 0; i < t; i++)
        {
            var w = new double[i + 1];
            double m = double.NegativeInfinity;
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int c = 0; c < d; c++)
                {
                    s += qs[i * d + c] * ks[j * d + c];
                }
                w[j] = s / Math.Sqrt(d);
                m = Math.Max(m, w[j]);
            }
            double z = 0;
            for (int j = 0; j <= i; j++)
            {
                w[j] = Math.Exp(w[j] - m);
                z += w[j];
            }
            for (int c = 0; c < d; c++)
            {
                double acc = 0;
                for (int j = 0; j <= i; j++)
                {
                    acc += w[j] / z * vs[j * d + c];
                }
                expected[i * d + c] = acc;
            }
        }
        Close(expected, o, 1e-12);
    }

    [Fact]
    public void AttentionWithKeyValuePrefixEqualsTheFullComputationsLastRows()
    {
        int b = 2, h = 3, t = 7, past = 4, d = 4;
        var q = randn([b, h, t, d], dtype: float64, generator: new Generator(11));
        var k = randn([b, h, t, d], dtype: float64, generator: new Generator(12));
        var v = randn([b, h, t, d], dtype: float64, generator: new Generator(13));
        var full = F.scaled_dot_product_attention(q, k, v, is_causal: true);
        var cached = F.scaled_dot_product_attention(
            q.narrow(2, past, t - past), k.narrow(2, past, t - past), v.narrow(2, past, t - past), is_causal: true,
            past_key: k.narrow(2, 0, past), past_value: v.narrow(2, 0, past));
        Close(D(full.narrow(2, past, t - past)), D(cached), 1e-12);
        // One token at a time, growing the cache, gives the same rows again.
        for (int i = past; i < t; i++)
        {
            var step = F.scaled_dot_product_attention(q.narrow(2, i, 1), k.narrow(2, i, 1), v.narrow(2, i, 1), is_causal: true,
                past_key: k.narrow(2, 0, i), past_value: v.narrow(2, 0, i));
            Close(D(full.narrow(2, i, 1)), D(step), 1e-12);
        }
    }

    [Fact]
    public void ErfAndGeluMatchReferenceValues()
    {
        double[] xs = [0.1, 0.5, 1, 2, 2.4, 2.6, 3, 4.5];
        double[] erf = [0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.999311486103355, 0.9997639655834707, 0.9999779095030014, 0.9999999998033839];
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.Equal(erf[i], Special.Erf(xs[i]), 1e-14);
            Assert.Equal(-erf[i], Special.Erf(-xs[i]), 1e-14);
            Assert.Equal(erf[i], Special.ErfFloat((float)xs[i]), 1e-6);
        }
        // x * Phi(x), values from an independent erf.
        double[] gelu = [0.053982783727702904, 0.34573123063700656, 0.8413447460685429, 1.9544997361036416, 2.380325913780969, 2.587880911138331, 2.99595030590511, 4.4999847104709385];
        var g = D(tensor(xs).gelu());
        var gt = D(tensor(xs).gelu("tanh"));
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.Equal(gelu[i], g[i], 1e-12);
            double inner = Math.Sqrt(2 / Math.PI) * (xs[i] + 0.044715 * Math.Pow(xs[i], 3));
            Assert.Equal(0.5 * xs[i] * (1 + Math.Tanh(inner)), gt[i], 1e-12);
        }
    }

    [Fact]
    public void ReductionsMatchLoops()
    {
        var x = randn([3, 4], dtype: float64, generator: new Generator(14));
        var xs = x.ToArray<double>();
        var colSum = D(x.sum(0));
        var rowMean = D(x.mean(1, keepdim: true));
        var rowVar = D(x.var(1));
        var rowStdBiased = D(x.std(1, unbiased: false));
        var (maxV, maxI) = x.max(1);
        var argmin = x.argmin(0).ToArray<long>();
        var lse = D(x.logsumexp(0));
        for (int c = 0; c < 4; c++)
        {
            double s = 0, z = 0;
            double mn = double.PositiveInfinity;
            long mi = -1;
            for (int r = 0; r < 3; r++)
            {
                s += xs[r * 4 + c];
                z += Math.Exp(xs[r * 4 + c]);
                if (xs[r * 4 + c] < mn)
                {
                    mn = xs[r * 4 + c];
                    mi = r;
                }
            }
            Assert.Equal(s, colSum[c], 1e-12);
            Assert.Equal(Math.Log(z), lse[c], 1e-12);
            Assert.Equal(mi, argmin[c]);
        }
        for (int r = 0; r < 3; r++)
        {
            var row = xs.AsSpan(r * 4, 4).ToArray();
            double mu = row.Average();
            double ss = row.Sum(v => (v - mu) * (v - mu));
            Assert.Equal(mu, rowMean[r], 1e-12);
            Assert.Equal(ss / 3, rowVar[r], 1e-12);
            Assert.Equal(Math.Sqrt(ss / 4), rowStdBiased[r], 1e-12);
            Assert.Equal(row.Max(), maxV.ToArray<double>()[r], 1e-15);
            Assert.Equal(Array.IndexOf(row, row.Max()), maxI.ToArray<long>()[r]);
        }
    }

    [Fact]
    public void Float32TrainingPathAgreesWithFloat64()
    {
        var x64 = randn([8, 16], dtype: float64, generator: new Generator(15));
        var w64 = randn([10, 16], dtype: float64, generator: new Generator(16)) * 0.3;
        var t = tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 });
        var l64 = F.cross_entropy(F.layer_norm(F.linear(x64, w64).gelu(), [10]), t).item<double>();
        var l32 = F.cross_entropy(F.layer_norm(F.linear(x64.to(float32), w64.to(float32)).gelu(), [10]), t).item<float>();
        Assert.Equal(l64, l32, 1e-4);
    }
}
