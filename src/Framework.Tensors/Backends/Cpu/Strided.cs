using System.Numerics;
using AlignFx.Tensors.Kernels;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Backends.Cpu;

/// <summary>Walks every element of a shape, keeping one storage offset per operand (for the scalar paths).</summary>
internal sealed class Walker
{
    private readonly int[] shape;
    private readonly int[][] strides;
    private readonly int[] index;

    public Walker(int[] shape, int[] offsets, params int[][] strides)
    {
        this.shape = shape;
        this.strides = strides;
        index = new int[shape.Length];
        Off = (int[])offsets.Clone();
    }

    /// <summary>Current offset of each operand.</summary>
    public int[] Off { get; }

    /// <summary>Current multi-index.</summary>
    public int[] Index => index;

    public void Next()
    {
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            index[k]++;
            for (int j = 0; j < Off.Length; j++)
            {
                Off[j] += strides[j][k];
            }
            if (index[k] < shape[k])
            {
                return;
            }
            for (int j = 0; j < Off.Length; j++)
            {
                Off[j] -= strides[j][k] * shape[k];
            }
            index[k] = 0;
        }
    }
}

/// <summary>Strided elementwise drivers: merge dimensions that are contiguous for every operand, then run spans on the innermost one.</summary>
internal static class Strided
{
    /// <summary>Merges adjacent dims that every operand can step through with one stride; drops size-1 dims. Rank is at least 1.</summary>
    public static (int[] Shape, int[][] Strides) Coalesce(int[] shape, params int[][] strides)
    {
        var s = new List<int>(shape.Length);
        var st = new List<int>[strides.Length];
        for (int j = 0; j < strides.Length; j++)
        {
            st[j] = new List<int>(shape.Length);
        }
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1)
            {
                continue;
            }
            if (s.Count > 0)
            {
                bool merge = true;
                for (int j = 0; j < strides.Length; j++)
                {
                    if (st[j][^1] != strides[j][i] * shape[i])
                    {
                        merge = false;
                        break;
                    }
                }
                if (merge)
                {
                    s[^1] *= shape[i];
                    for (int j = 0; j < strides.Length; j++)
                    {
                        st[j][^1] = strides[j][i];
                    }
                    continue;
                }
            }
            s.Add(shape[i]);
            for (int j = 0; j < strides.Length; j++)
            {
                st[j].Add(strides[j][i]);
            }
        }
        if (s.Count == 0)
        {
            s.Add(1);
            for (int j = 0; j < strides.Length; j++)
            {
                st[j].Add(0);
            }
        }
        var outStrides = new int[strides.Length][];
        for (int j = 0; j < strides.Length; j++)
        {
            outStrides[j] = st[j].ToArray();
        }
        return (s.ToArray(), outStrides);
    }

    public static void Unary<T, TOp>(TOp op, T[] x, int xOff, int[] xSt, T[] d, int dOff, int[] dSt, int[] shape)
        where TOp : struct, IUnaryOp<T>
    {
        int numel = Shapes.Numel(shape);
        if (numel == 0)
        {
            return;
        }
        var (cs, cst) = Coalesce(shape, dSt, xSt);
        int r = cs.Length, inner = cs[r - 1];
        int sd = cst[0][r - 1], sx = cst[1][r - 1];
        if (r == 1 && sd == 1 && sx == 1 && inner >= Par.ElementwiseGrain * 2)
        {
            Par.For(inner, Par.ElementwiseGrain, (s, n) => op.Apply(x.AsSpan(xOff + s, n), d.AsSpan(dOff + s, n)));
            return;
        }
        int outer = numel / inner;
        var walker = r > 1 ? new Walker(cs[..^1], [dOff, xOff], cst[0][..^1], cst[1][..^1]) : null;
        int od = dOff, ox = xOff;
        for (int o = 0; o < outer; o++)
        {
            if (walker is not null)
            {
                od = walker.Off[0];
                ox = walker.Off[1];
            }
            if (sd == 1 && sx == 1)
            {
                op.Apply(x.AsSpan(ox, inner), d.AsSpan(od, inner));
            }
            else if (sd == 1 && sx == 0)
            {
                d.AsSpan(od, inner).Fill(op.Apply(x[ox]));
            }
            else
            {
                for (int i = 0; i < inner; i++)
                {
                    d[od + i * sd] = op.Apply(x[ox + i * sx]);
                }
            }
            walker?.Next();
        }
    }

    public static void Binary<T, TOp>(TOp op, T[] a, int aOff, int[] aSt, T[] b, int bOff, int[] bSt, T[] d, int dOff, int[] dSt, int[] shape)
        where TOp : struct, IBinaryOp<T>
    {
        int numel = Shapes.Numel(shape);
        if (numel == 0)
        {
            return;
        }
        var (cs, cst) = Coalesce(shape, dSt, aSt, bSt);
        int r = cs.Length, inner = cs[r - 1];
        int sd = cst[0][r - 1], sa = cst[1][r - 1], sb = cst[2][r - 1];
        if (r == 1 && sd == 1 && inner >= Par.ElementwiseGrain * 2)
        {
            if (sa == 1 && sb == 1)
            {
                Par.For(inner, Par.ElementwiseGrain, (s, n) => op.Apply(a.AsSpan(aOff + s, n), b.AsSpan(bOff + s, n), d.AsSpan(dOff + s, n)));
                return;
            }
            if (sa == 1 && sb == 0)
            {
                T bv = b[bOff];
                Par.For(inner, Par.ElementwiseGrain, (s, n) => op.Apply(a.AsSpan(aOff + s, n), bv, d.AsSpan(dOff + s, n)));
                return;
            }
        }
        int outer = numel / inner;
        var walker = r > 1 ? new Walker(cs[..^1], [dOff, aOff, bOff], cst[0][..^1], cst[1][..^1], cst[2][..^1]) : null;
        int od = dOff, oa = aOff, ob = bOff;
        for (int o = 0; o < outer; o++)
        {
            if (walker is not null)
            {
                od = walker.Off[0];
                oa = walker.Off[1];
                ob = walker.Off[2];
            }
            if (sd == 1)
            {
                var ds = d.AsSpan(od, inner);
                if (sa == 1 && sb == 1)
                {
                    op.Apply(a.AsSpan(oa, inner), b.AsSpan(ob, inner), ds);
                }
                else if (sa == 1 && sb == 0)
                {
                    op.Apply(a.AsSpan(oa, inner), b[ob], ds);
                }
                else if (sa == 0 && sb == 1)
                {
                    op.Apply(a[oa], b.AsSpan(ob, inner), ds);
                }
                else
                {
                    for (int i = 0; i < inner; i++)
                    {
                        ds[i] = op.Apply(a[oa + i * sa], b[ob + i * sb]);
                    }
                }
            }
            else
            {
                for (int i = 0; i < inner; i++)
                {
                    d[od + i * sd] = op.Apply(a[oa + i * sa], b[ob + i * sb]);
                }
            }
            walker?.Next();
        }
    }
}

/// <summary>Fixed-partition parallel loops: the split depends only on sizes, so results never depend on scheduling.</summary>
internal static class Par
{
    /// <summary>Below this many elements per worker, elementwise work stays on one thread.</summary>
    public const int ElementwiseGrain = 1 << 16;

    // On two cores the elementwise kernels are memory-bound and a second thread mostly waits for a core that the
    // GEMM or another process holds (measured: single-threaded kernels made the tiny-GPT step faster there, as
    // PyTorch is fastest with one intra-op thread on the same machine); wider machines split the work.
    private static int workers = Environment.ProcessorCount <= 2 ? 1 : Environment.ProcessorCount;

    /// <summary>How many threads kernels split work over (torch.set_num_threads).</summary>
    public static int Workers
    {
        get => workers;
        set => workers = Math.Max(1, value);
    }

    /// <summary>Runs body(start, count) over [0, n) in at most <see cref="Workers"/> contiguous chunks of at least minChunk.</summary>
    public static void For(int n, int minChunk, Action<int, int> body)
    {
        int chunks = Math.Min(Workers, Math.Max(1, n / Math.Max(1, minChunk)));
        if (chunks <= 1)
        {
            body(0, n);
            return;
        }
        try
        {
            // The GEMM's worker threads: the caller claims parts too, so a worker the OS schedules late costs
            // nothing (the caller runs its part), and one set of threads serves GEMM and these kernels alike.
            GemmThreads.Run(new ForJob(n, chunks, body), chunks);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count >= 1)
        {
            // Surface the kernel's own exception (e.g. an index out of range), as the single-threaded path does.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            throw;
        }
    }

    /// <summary>Chunk c of [0, n) in <c>chunks</c> fixed contiguous pieces.</summary>
    private sealed class ForJob(int n, int chunks, Action<int, int> body) : IGemmJob
    {
        public void Execute(int part)
        {
            int s = (int)((long)n * part / chunks), e = (int)((long)n * (part + 1) / chunks);
            body(s, e - s);
        }
    }
}
