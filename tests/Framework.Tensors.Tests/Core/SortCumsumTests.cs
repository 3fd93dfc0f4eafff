using FsCheck.Xunit;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Core;

/// <summary>sort, cumsum and exp_libm against plain loops, and their properties (run on both backends).</summary>
public class SortCumsumTests
{
    /// <summary>Values with many ties (a few levels), signed zeros, infinities and occasionally NaN.</summary>
    private static double[] Values(int seed, int n, bool nan)
    {
        var r = new Random(seed);
        double[] levels = [-2, -0.0, 0, 0.5, 3, double.NegativeInfinity, double.PositiveInfinity, 1e300, -1e-300];
        var v = new double[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = r.Next(3) == 0 ? levels[r.Next(levels.Length)] : Math.Round(r.NextDouble() * 6 - 3, 1);
            if (nan && r.Next(10) == 0)
            {
                v[i] = double.NaN;
            }
        }
        return v;
    }

    /// <summary>The stable order of one line: by value (NaN above all, −0 = +0), ties by index.</summary>
    private static int[] ReferenceOrder(double[] line, bool descending)
    {
        static int Rank(double a, double b) => double.IsNaN(a) || double.IsNaN(b)
            ? (double.IsNaN(a) ? 1 : 0) - (double.IsNaN(b) ? 1 : 0)
            : a < b ? -1 : a > b ? 1 : 0;
        return [.. Enumerable.Range(0, line.Length).Order(Comparer<int>.Create((i, j) =>
        {
            int c = descending ? Rank(line[j], line[i]) : Rank(line[i], line[j]);
            return c != 0 ? c : i.CompareTo(j);
        }))];
    }

    [Property(MaxTest = 60)]
    public void Stable_sort_is_a_permutation_in_order_with_ties_in_index_order_along_any_dim(int seed, bool descending, bool single)
    {
        var r = new Random(seed);
        int a = r.Next(1, 4), n = r.Next(1, 12), b = r.Next(1, 4);
        int dim = r.Next(3);
        var data = Values(seed, a * n * b, nan: true);
        long[] axes = dim == 0 ? [1, 0, 2] : dim == 1 ? [0, 1, 2] : [0, 2, 1];
        var x = tensor(data, [a, n, b]).permute(axes);
        if (single)
        {
            x = x.to(float32);
        }
        // The permute puts the n-long axis at `dim`; the tensor is non-contiguous unless dim == 1.
        var (values, indices) = x.sort(dim, descending, stable: true);
        var xs = x.to(float64).contiguous();
        var (s0, s1, s2) = ((int)x.size(0), (int)x.size(1), (int)x.size(2));
        var vs = values.to(float64).contiguous().ToArray<double>();
        var ids = indices.contiguous().ToArray<long>();
        var all = xs.ToArray<double>();
        int[] sizes = [s0, s1, s2];
        int len = sizes[dim];
        var others = Enumerable.Range(0, 3).Where(d => d != dim).ToArray();
        for (int p = 0; p < sizes[others[0]]; p++)
        {
            for (int q = 0; q < sizes[others[1]]; q++)
            {
                int At(int i)
                {
                    var c = new int[3];
                    c[others[0]] = p;
                    c[others[1]] = q;
                    c[dim] = i;
                    return (c[0] * s1 * s2) + (c[1] * s2) + c[2];
                }
                var line = Enumerable.Range(0, len).Select(i => all[At(i)]).ToArray();
                int[] expected = ReferenceOrder(line, descending);
                for (int i = 0; i < len; i++)
                {
                    Assert.Equal(expected[i], ids[At(i)]);
                    Assert.Equal(BitConverter.DoubleToInt64Bits(line[expected[i]]), BitConverter.DoubleToInt64Bits(vs[At(i)]));
                }
                Assert.Equal(Enumerable.Range(0, len), Enumerable.Range(0, len).Select(i => (int)ids[At(i)]).Order());
            }
        }
    }

    [Property(MaxTest = 60)]
    public void Cumsum_adds_in_index_order_so_the_last_entry_is_the_sequential_sum(int seed, bool lastDim)
    {
        var r = new Random(seed);
        int rows = r.Next(1, 5), n = r.Next(1, 40);
        var data = Enumerable.Range(0, rows * n).Select(_ => (r.NextDouble() - 0.3) * Math.Pow(10, r.Next(-8, 9))).ToArray();
        var x = tensor(data, [rows, n]);
        var c = lastDim ? x.cumsum(1) : x.t().cumsum(0).t();
        var got = c.contiguous().ToArray<double>();
        for (int j = 0; j < rows; j++)
        {
            double acc = 0;
            for (int i = 0; i < n; i++)
            {
                acc += data[(j * n) + i];
                Assert.Equal(BitConverter.DoubleToInt64Bits(acc), BitConverter.DoubleToInt64Bits(got[(j * n) + i]));
            }
        }
    }

    [Fact]
    public void Float32_cumsum_accumulates_in_float64_and_int64_and_bool_cumsum_count_exactly()
    {
        var f = new float[] { 1e8f, 1f, 1f, 1f, -1e8f, 0.1f };
        var got = tensor(f).cumsum(0).ToArray<float>();
        double acc = 0;
        for (int i = 0; i < f.Length; i++)
        {
            acc += f[i];
            Assert.Equal((float)acc, got[i]);
        }
        Assert.Equal(new long[] { 5, 2, 10, -3 }, tensor(new long[] { 5, -3, 8, -13 }).cumsum(0).ToArray<long>());
        var b = tensor(new[] { true, false, true, true, false, true }, [2, 3]).cumsum(1);
        Assert.Equal(ScalarType.Int64, b.dtype);
        Assert.Equal(new long[] { 1, 1, 2, 1, 1, 2 }, b.ToArray<long>());
    }

    [Fact]
    public void Sort_of_int64_and_float32_orders_values_and_nan_sorts_above_every_number()
    {
        var (v, i) = tensor(new long[] { 3, -1, 3, 0 }).sort(descending: true, stable: true);
        Assert.Equal(new long[] { 3, 3, 0, -1 }, v.ToArray<long>());
        Assert.Equal(new long[] { 0, 2, 3, 1 }, i.ToArray<long>());
        var (fv, fi) = tensor(new[] { 1f, float.NaN, -0f, 0f, float.NegativeInfinity }).sort(stable: true);
        Assert.Equal(new long[] { 4, 2, 3, 0, 1 }, fi.ToArray<long>());
        Assert.True(float.IsNaN(fv.ToArray<float>()[4]));
    }

    [Fact]
    public void Exp_libm_is_bitwise_math_exp_where_the_vectorised_exp_is_not()
    {
        var r = new Random(4);
        var x = Enumerable.Range(0, 4096).Select(i => -r.NextDouble() * (i % 2 == 0 ? 1 : 700)).Append(0).Append(double.NegativeInfinity).ToArray();
        var t = tensor(x, [2, x.Length / 2]);
        var libm = t.exp_libm().ToArray<double>();
        var viaView = t.t().exp_libm().t().contiguous().ToArray<double>();
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Exp(x[i])), BitConverter.DoubleToInt64Bits(libm[i]));
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Exp(x[i])), BitConverter.DoubleToInt64Bits(viaView[i]));
        }
        var fx = x.Select(v => (float)v).ToArray();
        var fl = tensor(fx).exp_libm().ToArray<float>();
        Assert.Equal(fx.Select(MathF.Exp), fl);
        // Why exp_libm exists: exp() is vectorised and, for float64, differs from Math.Exp in the last bit for some inputs.
        var vectorised = t.exp().ToArray<double>();
        Assert.Contains(Enumerable.Range(0, x.Length), i => vectorised[i] != libm[i]);
        Assert.Throws<NotSupportedException>(() => t.requires_grad_().exp_libm());
    }
}
