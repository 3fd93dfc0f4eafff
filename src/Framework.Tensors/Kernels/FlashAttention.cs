using System.Numerics;
using AlignFx.Tensors.Backends.Cpu;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace AlignFx.Tensors.Kernels;

/// <summary>
/// Tiled scaled-dot-product attention (flash-attention style) on dense row-major arrays: q [BH, Tq, D], k and v
/// [BH, Tk, D], output [BH, Tq, D]. Scores are formed one <see cref="BlockQ"/> x <see cref="BlockK"/> tile at a time and
/// folded into the output with an online softmax (running row maximum and sum), so no Tq x Tk matrix is ever allocated;
/// the forward saves each row's maximum score and softmax denominator, and the backward recomputes every tile's
/// probabilities from them. (Not one log-sum-exp: with a large additive mask such as -1e9 on every key of a row, the
/// float32 sum m + log(l) rounds the log away.)
/// </summary>
/// <remarks>
/// Masks: causal aligns bottom-right (query i sees keys up to i + Tk - Tq, a KV prefix before the queries); an additive
/// per-key bias [rows, Tk] (0 keeps a key, -inf or a large negative value removes it) is selected per batch-head by
/// <c>biasRow</c>. Work is split over (batch-head, query tile) in the forward, and in the backward over batch-heads, or
/// over tiles when there are fewer batch-heads than threads; each task owns its outputs and runs its tiles in a fixed
/// order, so results do not depend on the thread count.
/// A row whose every key is masked out (-inf) gets output 0 and zero gradients.
/// </remarks>
internal static class FlashAttention
{
    /// <summary>Query rows per tile.</summary>
    public const int BlockQ = 64;

    /// <summary>Keys per tile.</summary>
    public const int BlockK = 64;

    private static readonly GemmOptions OneThread = new(Threads: 1);

    /// <summary>
    /// Fills <paramref name="o"/> [BH, Tq, D] and, per row [BH, Tq], the maximum <paramref name="rowMax"/> of its scaled,
    /// masked scores and 1 / the sum of their exponentials after subtracting it (<paramref name="rowInvSum"/>).
    /// </summary>
    public static void Forward<T>(T[] q, T[] k, T[] v, int bh, int tq, int tk, int d, bool causal, T scale,
        T[]? bias, int[]? biasRow, T[] o, T[] rowMax, T[] rowInvSum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int qBlocks = (tq + BlockQ - 1) / BlockQ;
        int tasks = bh * qBlocks;
        int shift = tk - tq;
        Par.For(tasks, 1, (start, count) =>
        {
            var s = new T[BlockQ * BlockK];
            var m = new T[BlockQ];
            var l = new T[BlockQ];
            for (int task = start; task < start + count; task++)
            {
                int h = task / qBlocks, i0 = task % qBlocks * BlockQ;
                int rows = Math.Min(BlockQ, tq - i0);
                int kEnd = causal ? Math.Clamp(i0 + rows + shift, 0, tk) : tk;
                var qi = q.AsSpan((h * tq + i0) * d);
                var oi = o.AsSpan((h * tq + i0) * d, rows * d);
                oi.Clear();
                m.AsSpan().Fill(T.NegativeInfinity);
                l.AsSpan().Clear();
                ReadOnlySpan<T> bRow = bias is null ? default : bias.AsSpan(biasRow![h] * tk, tk);
                for (int j0 = 0; j0 < kEnd; j0 += BlockK)
                {
                    int cols = Math.Min(BlockK, kEnd - j0);
                    Gemm.Multiply(OneThread, false, true, rows, cols, d, scale, qi, d, k.AsSpan((h * tk + j0) * d), d, T.Zero, s, cols);
                    for (int r = 0; r < rows; r++)
                    {
                        var row = s.AsSpan(r * cols, cols);
                        Mask(row, bRow, j0, causal ? i0 + r + shift + 1 - j0 : cols);
                        T mx = TP.Max<T>(row);
                        T mNew = T.Max(m[r], mx);
                        if (T.IsNegativeInfinity(mNew))
                        {
                            row.Clear();
                            continue;
                        }
                        T corr = T.Exp(m[r] - mNew);
                        TP.Subtract(row, mNew, row);
                        TP.Exp<T>(row, row);
                        l[r] = l[r] * corr + TP.Sum<T>(row);
                        m[r] = mNew;
                        if (corr != T.One)
                        {
                            var orow = oi.Slice(r * d, d);
                            TP.Multiply(orow, corr, orow);
                        }
                    }
                    Gemm.Multiply(OneThread, false, false, rows, d, cols, T.One, s, cols, v.AsSpan((h * tk + j0) * d), d, T.One, oi, d);
                }
                for (int r = 0; r < rows; r++)
                {
                    var orow = oi.Slice(r * d, d);
                    if (l[r] == T.Zero)
                    {
                        orow.Clear();
                        rowMax[h * tq + i0 + r] = T.NegativeInfinity;
                        rowInvSum[h * tq + i0 + r] = T.Zero;
                        continue;
                    }
                    T inv = T.One / l[r];
                    TP.Multiply(orow, inv, orow);
                    rowMax[h * tq + i0 + r] = m[r];
                    rowInvSum[h * tq + i0 + r] = inv;
                }
            }
        });
    }

    /// <summary>
    /// Gradients dq, dk, dv (each the shape of its input, fully written) from the output gradient <paramref name="dO"/>, the
    /// saved output <paramref name="o"/> and row statistics of the forward; every tile's probabilities are recomputed.
    /// </summary>
    /// <remarks>
    /// With at least as many batch-heads as threads, each task owns whole heads and walks key tiles, then query tiles.
    /// With fewer (one long sequence), the work is split by tiles in two passes over recomputed probabilities: key tiles
    /// own dK and dV (summed over query tiles in order), then query tiles own dQ (summed over key tiles in order). Every
    /// sum runs in the same order either way, so the gradients are bitwise the same at any thread count.
    /// </remarks>
    public static void Backward<T>(T[] q, T[] k, T[] v, T[] o, T[] rowMax, T[] rowInvSum, T[] dO, int bh, int tq, int tk, int d, bool causal, T scale,
        T[]? bias, int[]? biasRow, T[] dq, T[] dk, T[] dv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var delta = new T[bh * tq];
        Par.For(bh * tq, 1024, (start, count) =>
        {
            for (int row = start; row < start + count; row++)
            {
                delta[row] = TP.Dot<T>(dO.AsSpan(row * d, d), o.AsSpan(row * d, d));
            }
        });
        var tiles = new TileInputs<T>(q, k, v, dO, rowMax, rowInvSum, delta, tq, tk, d, causal, scale, bias, biasRow);
        // The tile split recomputes each tile's probabilities twice (about 1.5x the work): on 2 threads it measured
        // 1.25x slower than one thread at T = 2048 (quiet 2-core machine), so it is used only from 3 threads on.
        if (bh >= Par.Workers || Par.Workers < 3)
        {
            Par.For(bh, 1, (start, count) =>
            {
                var p = new T[BlockQ * BlockK];
                var dp = new T[BlockQ * BlockK];
                for (int h = start; h < start + count; h++)
                {
                    int qo = h * tq * d, ko = h * tk * d;
                    dq.AsSpan(qo, tq * d).Clear();
                    dk.AsSpan(ko, tk * d).Clear();
                    dv.AsSpan(ko, tk * d).Clear();
                    for (int j0 = 0; j0 < tk; j0 += BlockK)
                    {
                        for (int i0 = 0; i0 < tq; i0 += BlockQ)
                        {
                            if (tiles.Recompute(h, i0, j0, p, dp))
                            {
                                tiles.AccumulateKeyGradients(h, i0, j0, p, dp, dk, dv);
                                tiles.AccumulateQueryGradient(h, i0, j0, dp, dq);
                            }
                        }
                    }
                }
            });
            return;
        }
        int kBlocks = (tk + BlockK - 1) / BlockK, qBlocks = (tq + BlockQ - 1) / BlockQ;
        Par.For(bh * kBlocks, 1, (start, count) =>
        {
            var p = new T[BlockQ * BlockK];
            var dp = new T[BlockQ * BlockK];
            for (int task = start; task < start + count; task++)
            {
                int h = task / kBlocks, j0 = task % kBlocks * BlockK;
                int cols = Math.Min(BlockK, tk - j0);
                dk.AsSpan((h * tk + j0) * d, cols * d).Clear();
                dv.AsSpan((h * tk + j0) * d, cols * d).Clear();
                for (int i0 = 0; i0 < tq; i0 += BlockQ)
                {
                    if (tiles.Recompute(h, i0, j0, p, dp))
                    {
                        tiles.AccumulateKeyGradients(h, i0, j0, p, dp, dk, dv);
                    }
                }
            }
        });
        Par.For(bh * qBlocks, 1, (start, count) =>
        {
            var p = new T[BlockQ * BlockK];
            var dp = new T[BlockQ * BlockK];
            for (int task = start; task < start + count; task++)
            {
                int h = task / qBlocks, i0 = task % qBlocks * BlockQ;
                int rows = Math.Min(BlockQ, tq - i0);
                dq.AsSpan((h * tq + i0) * d, rows * d).Clear();
                for (int j0 = 0; j0 < tk; j0 += BlockK)
                {
                    if (tiles.Recompute(h, i0, j0, p, dp))
                    {
                        tiles.AccumulateQueryGradient(h, i0, j0, dp, dq);
                    }
                }
            }
        });
    }

    /// <summary>What the backward's tiles read, and the arithmetic of one tile (shared by both splits of the work).</summary>
    private sealed class TileInputs<T>(T[] q, T[] k, T[] v, T[] dO, T[] rowMax, T[] rowInvSum, T[] delta, int tq, int tk, int d,
        bool causal, T scale, T[]? bias, int[]? biasRow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly int shift = tk - tq;

        /// <summary>
        /// Recomputes tile (i0, j0) of head h: its probabilities P into <paramref name="p"/> and dS = P ⊙ (dO Vᵀ − rowsum(dO ⊙ O))
        /// into <paramref name="ds"/>, both [rows, cols]; false when the causal mask removes the whole tile.
        /// </summary>
        public bool Recompute(int h, int i0, int j0, T[] p, T[] ds)
        {
            int rows = Math.Min(BlockQ, tq - i0), cols = Math.Min(BlockK, tk - j0);
            if (causal && i0 + rows - 1 + shift < j0)
            {
                return false;
            }
            int qo = h * tq * d, ko = h * tk * d;
            ReadOnlySpan<T> bRow = bias is null ? default : bias.AsSpan(biasRow![h] * tk, tk);
            Gemm.Multiply(OneThread, false, true, rows, cols, d, scale, q.AsSpan(qo + i0 * d), d, k.AsSpan(ko + j0 * d), d, T.Zero, p, cols);
            for (int r = 0; r < rows; r++)
            {
                var row = p.AsSpan(r * cols, cols);
                Mask(row, bRow, j0, causal ? i0 + r + shift + 1 - j0 : cols);
                T mx = rowMax[h * tq + i0 + r];
                if (T.IsNegativeInfinity(mx))
                {
                    row.Clear();
                    continue;
                }
                TP.Subtract(row, mx, row);
                TP.Exp<T>(row, row);
                TP.Multiply(row, rowInvSum[h * tq + i0 + r], row);
            }
            Gemm.Multiply(OneThread, false, true, rows, cols, d, T.One, dO.AsSpan(qo + i0 * d), d, v.AsSpan(ko + j0 * d), d, T.Zero, ds, cols);
            for (int r = 0; r < rows; r++)
            {
                var dsr = ds.AsSpan(r * cols, cols);
                TP.Subtract(dsr, delta[h * tq + i0 + r], dsr);
                TP.Multiply(dsr, p.AsSpan(r * cols, cols), dsr);
            }
            return true;
        }

        /// <summary>dV_j += Pᵀ dO_i; dK_j += scale dSᵀ Q_i.</summary>
        public void AccumulateKeyGradients(int h, int i0, int j0, T[] p, T[] ds, T[] dk, T[] dv)
        {
            int rows = Math.Min(BlockQ, tq - i0), cols = Math.Min(BlockK, tk - j0);
            int qo = h * tq * d, ko = h * tk * d;
            Gemm.Multiply(OneThread, true, false, cols, d, rows, T.One, p, cols, dO.AsSpan(qo + i0 * d), d, T.One, dv.AsSpan(ko + j0 * d, cols * d), d);
            Gemm.Multiply(OneThread, true, false, cols, d, rows, scale, ds, cols, q.AsSpan(qo + i0 * d), d, T.One, dk.AsSpan(ko + j0 * d, cols * d), d);
        }

        /// <summary>dQ_i += scale dS K_j.</summary>
        public void AccumulateQueryGradient(int h, int i0, int j0, T[] ds, T[] dq)
        {
            int rows = Math.Min(BlockQ, tq - i0), cols = Math.Min(BlockK, tk - j0);
            int qo = h * tq * d, ko = h * tk * d;
            Gemm.Multiply(OneThread, false, false, rows, d, cols, scale, ds, cols, k.AsSpan(ko + j0 * d), d, T.One, dq.AsSpan(qo + i0 * d, rows * d), d);
        }
    }

    /// <summary>Adds the key bias to a score row starting at key j0 and removes keys from index <paramref name="valid"/> on.</summary>
    private static void Mask<T>(Span<T> row, ReadOnlySpan<T> bias, int j0, int valid)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!bias.IsEmpty)
        {
            TP.Add(row, bias.Slice(j0, row.Length), row);
        }
        if (valid < row.Length)
        {
            row[Math.Max(valid, 0)..].Fill(T.NegativeInfinity);
        }
    }
}
