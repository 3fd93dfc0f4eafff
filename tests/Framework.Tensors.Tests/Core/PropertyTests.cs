using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Core;

/// <summary>FsCheck properties over random shapes: broadcasting, view round trips, reductions.</summary>
public class PropertyTests
{
    /// <summary>A shape of rank 1..4 with sizes 1..4 drawn from the FsCheck inputs.</summary>
    private static int[] ShapeOf(byte[] raw)
    {
        int rank = 1 + (raw.Length > 0 ? raw[0] % 4 : 0);
        var s = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            s[i] = 1 + (raw.Length > i + 1 ? raw[i + 1] % 4 : i % 3);
        }
        return s;
    }

    private static long[] L(int[] s) => Array.ConvertAll(s, v => (long)v);

    private static Tensor Numbered(int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var data = new double[n];
        for (int i = 0; i < n; i++)
        {
            data[i] = i * 0.5 - 3;
        }
        return tensor(data, L(shape));
    }

    private static int Flat(int[] idx, int[] shape)
    {
        int f = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            f = f * shape[i] + idx[i];
        }
        return f;
    }

    private static IEnumerable<int[]> Indices(int[] shape)
    {
        var idx = new int[shape.Length];
        int n = shape.Aggregate(1, (a, b) => a * b);
        for (int k = 0; k < n; k++)
        {
            yield return (int[])idx.Clone();
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < shape[d])
                {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    [Property(MaxTest = 60)]
    public bool BroadcastAddMatchesIndexArithmetic(byte[] raw, byte mask, bool dropLead)
    {
        var a = ShapeOf(raw);
        // b: same rank, some dims collapsed to 1, optionally without the leading dim.
        var b = a.Select((s, i) => (mask >> i & 1) == 1 ? 1 : s).ToArray();
        if (dropLead && b.Length > 1)
        {
            b = b[1..];
        }
        var ta = Numbered(a);
        var tb = Numbered(b) * 10.0;
        var sum = ta + tb;
        if (!sum.shape.SequenceEqual(L(a)))
        {
            return false;
        }
        var sa = ta.ToArray<double>();
        var sb = tb.ToArray<double>();
        var ss = sum.ToArray<double>();
        int lead = a.Length - b.Length;
        foreach (var idx in Indices(a))
        {
            var bi = idx[lead..].Select((v, i) => b[i] == 1 ? 0 : v).ToArray();
            if (ss[Flat(idx, a)] != sa[Flat(idx, a)] + sb[Flat(bi, b)])
            {
                return false;
            }
        }
        // Commutes, and the gradient of a broadcast input sums back to its own shape.
        var tbg = tb.detach().requires_grad_();
        (ta + tbg).sum().backward();
        var expectedCount = a.Aggregate(1, (x, y) => x * y) / b.Aggregate(1, (x, y) => x * y);
        return (tb + ta).ToArray<double>().SequenceEqual(ss)
            && tbg.grad!.shape.SequenceEqual(L(b))
            && tbg.grad!.ToArray<double>().All(g => g == expectedCount);
    }

    [Property(MaxTest = 60)]
    public bool PermuteAndReshapeRoundTrip(byte[] raw, int seed)
    {
        var shape = ShapeOf(raw);
        var x = Numbered(shape);
        var rng = new Random(seed);
        var perm = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).Select(v => (long)v).ToArray();
        var inv = new long[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            inv[perm[i]] = i;
        }
        var p = x.permute(perm);
        // Element [i...] of the permuted view is x at the permuted index.
        var pv = p.ToArray<double>();
        var xs = x.ToArray<double>();
        var pshape = perm.Select(d => shape[d]).ToArray();
        foreach (var idx in Indices(pshape))
        {
            var src = new int[shape.Length];
            for (int i = 0; i < perm.Length; i++)
            {
                src[perm[i]] = idx[i];
            }
            if (pv[Flat(idx, pshape)] != xs[Flat(src, shape)])
            {
                return false;
            }
        }
        var back = p.permute(inv);
        var flat = p.reshape(-1).reshape(L(pshape)).permute(inv);
        return back.ToArray<double>().SequenceEqual(xs)
            && flat.ToArray<double>().SequenceEqual(xs)
            && x.view(-1).view(L(shape)).ToArray<double>().SequenceEqual(xs)
            && p.contiguous().is_contiguous();
    }

    [Property(MaxTest = 60)]
    public bool SumOverDimsEqualsSumOfSums(byte[] raw, byte pick)
    {
        var shape = ShapeOf(raw);
        var x = Numbered(shape);
        var dims = Enumerable.Range(0, shape.Length).Where(d => (pick >> d & 1) == 1).Select(d => (long)d).ToArray();
        if (dims.Length == 0)
        {
            dims = [0];
        }
        var once = x.sum(dims);
        var stepwise = x;
        foreach (var d in dims.OrderByDescending(d => d))
        {
            stepwise = stepwise.sum(d);
        }
        var keep = x.sum(dims, keepdim: true);
        double total = x.ToArray<double>().Sum();
        return once.shape.SequenceEqual(stepwise.shape)
            && once.ToArray<double>().Zip(stepwise.ToArray<double>()).All(p => Math.Abs(p.First - p.Second) < 1e-9)
            && keep.Dimensions == shape.Length
            && Math.Abs(keep.sum().item<double>() - total) < 1e-9
            && Math.Abs(x.mean().item<double>() * x.numel() - total) < 1e-9;
    }

    [Property(MaxTest = 40)]
    public bool SoftmaxRowsArePositiveAndSumToOne(byte[] raw, int seed)
    {
        var shape = ShapeOf(raw);
        var x = randn(L(shape), dtype: float64, generator: new Generator(seed)) * 5.0;
        var dim = seed % shape.Length;
        var s = x.softmax(dim);
        var sums = s.sum(dim).ToArray<double>();
        var ls = x.log_softmax(dim).exp();
        return sums.All(v => Math.Abs(v - 1) < 1e-12)
            && s.ToArray<double>().All(v => v > 0)
            && s.allclose(ls, 1e-12, 1e-14);
    }

    [Property(MaxTest = 30)]
    public Property MatmulOfTransposesIsTransposeOfMatmul()
    {
        var dims = Gen.Choose(1, 6).Three().ToArbitrary();
        return Prop.ForAll(dims, d =>
        {
            var (m, k, n) = d;
            var a = randn([m, k], dtype: float64, generator: new Generator(m * 100 + k));
            var b = randn([k, n], dtype: float64, generator: new Generator(n));
            var left = b.t().matmul(a.t());
            var right = a.matmul(b).t();
            return left.allclose(right, 1e-12, 1e-12);
        });
    }
}
