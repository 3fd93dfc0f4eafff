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
/// <c>biasRow</c>. Work is split over (batch-head, query tile) in the forward and over batch-heads in the backward; each
/// task owns its outputs and runs its tiles in a fixed order, so results do not depend on the thread count.
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
    public static void Backward<T>(T[] q, T[] k, T[] v, T[] o, T[] rowMax, T[] rowInvSum, T[] dO, int bh, int tq, int tk, int d, bool causal, T scale,
        T[]? bias, int[]? biasRow, T[] dq, T[] dk, T[] dv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int shift = tk - tq;
        Par.For(bh, 1, (start, count) =>
        {
            var p = new T[BlockQ * BlockK];
            var dp = new T[BlockQ * BlockK];
            var delta = new T[tq];
            for (int h = start; h < start + count; h++)
            {
                int qo = h * tq * d, ko = h * tk * d;
                dq.AsSpan(qo, tq * d).Clear();
                dk.AsSpan(ko, tk * d).Clear();
                dv.AsSpan(ko, tk * d).Clear();
                for (int i = 0; i < tq; i++)
                {
                    delta[i] = TP.Dot<T>(dO.AsSpan(qo + i * d, d), o.AsSpan(qo + i * d, d));
                }
                ReadOnlySpan<T> bRow = bias is null ? default : bias.AsSpan(biasRow![h] * tk, tk);
                for (int j0 = 0; j0 < tk; j0 += BlockK)
                {
                    int cols = Math.Min(BlockK, tk - j0);
                    var kj = k.AsSpan(ko + j0 * d);
                    var vj = v.AsSpan(ko + j0 * d);
                    var dkj = dk.AsSpan(ko + j0 * d, cols * d);
                    var dvj = dv.AsSpan(ko + j0 * d, cols * d);
                    // With a causal mask, query tiles that end before this key tile's first key are skipped.
                    int iStart = causal ? Math.Max(0, (j0 - shift) / BlockQ * BlockQ) : 0;
                    for (int i0 = iStart; i0 < tq; i0 += BlockQ)
                    {
                        int rows = Math.Min(BlockQ, tq - i0);
                        if (causal && i0 + rows - 1 + shift < j0)
                        {
                            continue;
                        }
                        var qi = q.AsSpan(qo + i0 * d);
                        var doi = dO.AsSpan(qo + i0 * d);
                        Gemm.Multiply(OneThread, false, true, rows, cols, d, scale, qi, d, kj, d, T.Zero, p, cols);
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
                        // dV_j += Pᵀ dO_i; dP = dO_i V_jᵀ; dS = P ⊙ (dP − rowsum(dO ⊙ O)); dQ_i += scale dS K_j; dK_j += scale dSᵀ Q_i.
                        Gemm.Multiply(OneThread, true, false, cols, d, rows, T.One, p, cols, doi, d, T.One, dvj, d);
                        Gemm.Multiply(OneThread, false, true, rows, cols, d, T.One, doi, d, vj, d, T.Zero, dp, cols);
                        for (int r = 0; r < rows; r++)
                        {
                            var dpr = dp.AsSpan(r * cols, cols);
                            TP.Subtract(dpr, delta[i0 + r], dpr);
                            TP.Multiply(dpr, p.AsSpan(r * cols, cols), dpr);
                        }
                        Gemm.Multiply(OneThread, false, false, rows, d, cols, scale, dp, cols, kj, d, T.One, dq.AsSpan(qo + i0 * d, rows * d), d);
                        Gemm.Multiply(OneThread, true, false, cols, d, rows, scale, dp, cols, qi, d, T.One, dkj, d);
                    }
                }
            }
        });
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
