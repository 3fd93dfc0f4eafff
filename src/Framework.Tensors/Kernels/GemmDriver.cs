using System.Numerics;
using System.Runtime.CompilerServices;

namespace AlignFx.Tensors.Kernels;

/// <summary>The operands of one GEMM call, as raw pointers (the caller keeps them pinned).</summary>
internal unsafe struct GemmArgs<T> where T : unmanaged
{
    public bool TransA;
    public bool TransB;
    public int M;
    public int N;
    public int K;
    public T Alpha;
    public T Beta;
    public T* A;
    public nint Lda;
    public T* B;
    public nint Ldb;
    public T* C;
    public nint Ldc;
}

/// <summary>
/// The Goto/BLIS loop nest around a micro-kernel: C is cut into NC-wide column blocks, k into KC
/// slices (a KC x NC block of B is packed once per slice), rows into MC blocks (an MC x KC block of
/// A is packed and stays in L2), and each packed NR-wide micro-panel of B is reused from L1 across
/// every MR-row micro-panel of A.
/// </summary>
/// <remarks>
/// Threads split C into disjoint row or column ranges, and each part runs the whole loop nest on
/// its range (packing its own panels) with no synchronisation until the end: a thread that the OS
/// preempts delays only its own part. Every element is still reduced over k by one thread in the
/// same order, so the result is bitwise independent of the thread count.
/// </remarks>
internal static unsafe class GemmDriver<T, TKernel>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TKernel : IGemmKernel<T>
{
    /// <summary>k slice length; shared by every kernel and the direct path so they round alike.</summary>
    public static int KC => GemmBlocking.KC;

    /// <summary>Rows of A packed per block (about 384 KiB, so it stays in a 1 MiB L2 beside B's panels).</summary>
    public static int MC { get; } = Math.Max(1, 384 * 1024 / (GemmBlocking.KC * sizeof(T) * TKernel.MR)) * TKernel.MR;

    /// <summary>Columns of B packed per block (a few MiB, in L3).</summary>
    public static int NC { get; } = Math.Max(1, 4096 * 1024 / (GemmBlocking.KC * sizeof(T) * TKernel.NR)) * TKernel.NR;

    private static readonly Job s_job = new();

    /// <summary>Computes C = alpha op(A) op(B) + beta C with up to <paramref name="parts"/> threads.</summary>
    public static void Run(in GemmArgs<T> args, int parts)
    {
        // Split C along the side whose whole-tile split leaves the largest part smallest (rows on
        // ties); ranges are whole micro-tiles so each part runs full kernels.
        int rowTiles = (args.M + TKernel.MR - 1) / TKernel.MR;
        int colTiles = (args.N + TKernel.NR - 1) / TKernel.NR;
        parts = Math.Clamp(parts, 1, Math.Max(rowTiles, colTiles));
        long rowSplitCost = (long)((rowTiles + parts - 1) / parts) * TKernel.MR * RoundUp(args.N, TKernel.NR);
        long colSplitCost = (long)((colTiles + parts - 1) / parts) * TKernel.NR * RoundUp(args.M, TKernel.MR);
        bool splitRows = rowSplitCost <= colSplitCost;
        int tiles = splitRows ? rowTiles : colTiles;
        parts = Math.Min(parts, tiles);
        if (parts == 1)
        {
            RunRange(args, 0, args.M, 0, args.N);
            return;
        }

        // One job object per instantiation: a second thread of the process that finds it in use
        // runs its product inline (single-threaded), which gives the same bits.
        if (!Monitor.TryEnter(s_job))
        {
            RunRange(args, 0, args.M, 0, args.N);
            return;
        }

        try
        {
            s_job.Args = args;
            s_job.SplitRows = splitRows;
            s_job.Tiles = tiles;
            s_job.Parts = parts;
            GemmThreads.Run(s_job, parts);
        }
        finally
        {
            Monitor.Exit(s_job);
        }
    }

    private sealed class Job : IGemmJob
    {
        public GemmArgs<T> Args;
        public bool SplitRows;
        public int Tiles;
        public int Parts;

        public void Execute(int part)
        {
            int first = (int)((long)Tiles * part / Parts);
            int last = (int)((long)Tiles * (part + 1) / Parts);
            if (SplitRows)
            {
                RunRange(Args, first * TKernel.MR, Math.Min(Args.M, last * TKernel.MR), 0, Args.N);
            }
            else
            {
                RunRange(Args, 0, Args.M, first * TKernel.NR, Math.Min(Args.N, last * TKernel.NR));
            }
        }
    }

    /// <summary>The blocked loop nest over rows [i0, i1) and columns [j0, j1) of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRange(in GemmArgs<T> g, int i0, int i1, int j0, int j1)
    {
        if (i0 >= i1 || j0 >= j1)
        {
            return;
        }

        int mr = TKernel.MR, nr = TKernel.NR, kcMax = KC;
        int mcMax = Math.Min(MC, RoundUp(i1 - i0, mr));
        int ncMax = Math.Min(NC, RoundUp(j1 - j0, nr));
        int kcCap = Math.Min(kcMax, g.K);
        nint aBytes = GemmWorkspace.AlignUp((nint)mcMax * kcCap * sizeof(T));
        nint bBytes = GemmWorkspace.AlignUp((nint)ncMax * kcCap * sizeof(T));
        nint tileBytes = GemmWorkspace.AlignUp((nint)mr * nr * sizeof(T));
        byte* scratch = GemmWorkspace.Current.Rent(aBytes + bBytes + tileBytes);
        T* packA = (T*)scratch;
        T* packB = (T*)(scratch + aBytes);
        T* tileC = (T*)(scratch + aBytes + bBytes);

        for (int jc = j0; jc < j1; jc += ncMax)
        {
            int nb = Math.Min(ncMax, j1 - jc);
            for (int pc = 0; pc < g.K; pc += kcMax)
            {
                int kb = Math.Min(kcMax, g.K - pc);
                T beta = pc == 0 ? g.Beta : T.One;
                PackB(g, pc, kb, jc, nb, packB);
                for (int ic = i0; ic < i1; ic += mcMax)
                {
                    int mb = Math.Min(mcMax, i1 - ic);
                    PackA(g, ic, mb, pc, kb, packA);
                    for (int jr = 0; jr < nb; jr += nr)
                    {
                        int nrEff = Math.Min(nr, nb - jr);
                        T* bPanel = packB + (nint)jr * kb;
                        T* cCol = g.C + (nint)ic * g.Ldc + jc + jr;
                        for (int ir = 0; ir < mb; ir += mr)
                        {
                            int mrEff = Math.Min(mr, mb - ir);
                            T* aPanel = packA + (nint)ir * kb;
                            T* cTile = cCol + (nint)ir * g.Ldc;
                            if (mrEff == mr && nrEff == nr)
                            {
                                TKernel.Run(kb, aPanel, bPanel, cTile, g.Ldc, g.Alpha, beta);
                            }
                            else
                            {
                                // Edge tile: compute the padded tile, then merge only the valid part.
                                TKernel.Run(kb, aPanel, bPanel, tileC, nr, T.One, T.Zero);
                                for (int r = 0; r < mrEff; r++)
                                {
                                    T* src = tileC + (nint)r * nr;
                                    T* dst = cTile + (nint)r * g.Ldc;
                                    for (int s = 0; s < nrEff; s++)
                                    {
                                        dst[s] = GemmMath.Merge(src[s], g.Alpha, beta, dst[s]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs op(A)[ic..ic+mb, pc..pc+kb] into MR-row micro-panels: panel t holds, for each k,
    /// the MR values of rows t*MR.. (rows past mb are zero).
    /// </summary>
    private static void PackA(in GemmArgs<T> g, int ic, int mb, int pc, int kb, T* dst)
    {
        int mr = TKernel.MR;
        if (g.TransA)
        {
            // op(A)(i, p) = a[p * lda + i]: each k step of every panel is a contiguous run.
            GemmPacking.CopySteps(g.A + (nint)pc * g.Lda + ic, g.Lda, mb, kb, mr, dst);
            return;
        }

        // op(A)(i, p) = a[i * lda + p]: a transposing copy of each panel's rows.
        for (int ir = 0; ir < mb; ir += mr)
        {
            GemmPacking.Transpose(g.A + (nint)(ic + ir) * g.Lda + pc, g.Lda, Math.Min(mr, mb - ir), kb, mr, dst + (nint)ir * kb);
        }
    }

    /// <summary>
    /// Packs op(B)[pc..pc+kb, jc..jc+nb] into NR-column micro-panels: panel t holds, for each k,
    /// the NR values of columns t*NR.. (columns past nb are zero).
    /// </summary>
    private static void PackB(in GemmArgs<T> g, int pc, int kb, int jc, int nb, T* dst)
    {
        int nr = TKernel.NR;
        if (!g.TransB)
        {
            // op(B)(p, j) = b[p * ldb + j]: each k step of every panel is a contiguous run.
            GemmPacking.CopySteps(g.B + (nint)pc * g.Ldb + jc, g.Ldb, nb, kb, nr, dst);
            return;
        }

        // op(B)(p, j) = b[j * ldb + p]: a transposing copy of each panel's stored rows.
        for (int jr = 0; jr < nb; jr += nr)
        {
            GemmPacking.Transpose(g.B + (nint)(jc + jr) * g.Ldb + pc, g.Ldb, Math.Min(nr, nb - jr), kb, nr, dst + (nint)jr * kb);
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}

/// <summary>Blocking constants shared by all GEMM paths.</summary>
internal static class GemmBlocking
{
    /// <summary>
    /// The k slice: each element of C is reduced over k in slices of this length and merged into C
    /// after each slice. Every path (direct included) uses it, which keeps all paths bitwise equal.
    /// </summary>
    public const int KC = 256;
}
