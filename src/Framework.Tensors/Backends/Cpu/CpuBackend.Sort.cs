using System.Numerics;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Backends.Cpu;

internal sealed partial class CpuBackend
{
    /// <summary>(outer, length, inner) of the lines along dim of a contiguous tensor of this shape.</summary>
    private static (int Outer, int N, int Inner) Lines(int[] shape, int dim)
    {
        if (shape.Length == 0)
        {
            return (1, 1, 1);
        }
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++)
        {
            outer *= shape[i];
        }
        for (int i = dim + 1; i < shape.Length; i++)
        {
            inner *= shape[i];
        }
        return (outer, shape[dim], inner);
    }

    public void Sort(Tensor x, int dim, bool descending, bool stable, Tensor values, Tensor indices)
    {
        // Always stable: a stable order is also a valid unstable one.
        switch (x.dtype)
        {
            case ScalarType.Float32: SortT<float>(x, dim, descending, values, indices); break;
            case ScalarType.Float64: SortT<double>(x, dim, descending, values, indices); break;
            case ScalarType.Int64: SortT<long>(x, dim, descending, values, indices); break;
            default: throw new NotSupportedException("sort is not defined for bool tensors.");
        }
    }

    /// <summary>a before b in ascending order: NaN above every number, equal values (−0 = +0) tie.</summary>
    private static int CompareAscending<T>(T a, T b) where T : INumber<T>
    {
        bool an = T.IsNaN(a), bn = T.IsNaN(b);
        if (an || bn)
        {
            return an == bn ? 0 : an ? 1 : -1;
        }
        return a < b ? -1 : a > b ? 1 : 0;
    }

    private static void SortT<T>(Tensor x, int dim, bool descending, Tensor values, Tensor indices) where T : unmanaged, INumber<T>
    {
        var c = Contig(x);
        try
        {
            var xs = c.Raw<T>();
            var vs = values.Raw<T>();
            var ids = indices.Raw<long>();
            var (outer, n, inner) = Lines(x.shapeI, dim);
            var keys = new T[n];
            var order = new int[n];
            Comparison<int> cmp = descending
                ? (i, j) =>
                {
                    int r = CompareAscending(keys[j], keys[i]);
                    return r != 0 ? r : i.CompareTo(j);
                }
                : (i, j) =>
                {
                    int r = CompareAscending(keys[i], keys[j]);
                    return r != 0 ? r : i.CompareTo(j);
                };
            for (int o = 0; o < outer; o++)
            {
                for (int k = 0; k < inner; k++)
                {
                    int baseX = c.offset + (o * n * inner) + k;
                    int baseD = (o * n * inner) + k;
                    for (int i = 0; i < n; i++)
                    {
                        keys[i] = xs[baseX + (i * inner)];
                        order[i] = i;
                    }
                    // Ties are broken by index, so the unstable introsort yields the stable order.
                    Array.Sort(order, cmp);
                    for (int i = 0; i < n; i++)
                    {
                        vs[values.offset + baseD + (i * inner)] = keys[order[i]];
                        ids[indices.offset + baseD + (i * inner)] = order[i];
                    }
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(c, x))
            {
                c.Dispose();
            }
        }
    }

    public void CumSum(Tensor x, int dim, bool reverse, Tensor dst)
    {
        switch (x.dtype)
        {
            case ScalarType.Float32: CumSumFloat(x, dim, reverse, dst); break;
            case ScalarType.Float64: CumSumT<double>(x, dim, reverse, dst); break;
            case ScalarType.Int64: CumSumT<long>(x, dim, reverse, dst); break;
            default: throw new NotSupportedException("cumsum of bool tensors: convert to int64 first.");
        }
    }

    /// <summary>Sequential running sums in T along each line (from the end when reverse).</summary>
    private static void CumSumT<T>(Tensor x, int dim, bool reverse, Tensor dst) where T : unmanaged, INumber<T>
    {
        var c = Contig(x);
        try
        {
            var xs = c.Raw<T>();
            var d = dst.Raw<T>();
            var (outer, n, inner) = Lines(x.shapeI, dim);
            for (int o = 0; o < outer; o++)
            {
                for (int k = 0; k < inner; k++)
                {
                    int baseX = c.offset + (o * n * inner) + k;
                    int baseD = dst.offset + (o * n * inner) + k;
                    T acc = T.Zero;
                    for (int s = 0; s < n; s++)
                    {
                        int i = reverse ? n - 1 - s : s;
                        acc += xs[baseX + (i * inner)];
                        d[baseD + (i * inner)] = acc;
                    }
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(c, x))
            {
                c.Dispose();
            }
        }
    }

    /// <summary>float32 running sums accumulated in float64, each output rounded to float (libtorch's CPU kernel).</summary>
    private static void CumSumFloat(Tensor x, int dim, bool reverse, Tensor dst)
    {
        var c = Contig(x);
        try
        {
            var xs = c.Raw<float>();
            var d = dst.Raw<float>();
            var (outer, n, inner) = Lines(x.shapeI, dim);
            for (int o = 0; o < outer; o++)
            {
                for (int k = 0; k < inner; k++)
                {
                    int baseX = c.offset + (o * n * inner) + k;
                    int baseD = dst.offset + (o * n * inner) + k;
                    double acc = 0;
                    for (int s = 0; s < n; s++)
                    {
                        int i = reverse ? n - 1 - s : s;
                        acc += xs[baseX + (i * inner)];
                        d[baseD + (i * inner)] = (float)acc;
                    }
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(c, x))
            {
                c.Dispose();
            }
        }
    }
}
