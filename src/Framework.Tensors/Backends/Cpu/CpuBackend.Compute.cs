using System.Numerics;
using AlignFx.Tensors.Kernels;
using static AlignFx.Tensors.torch;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace AlignFx.Tensors.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void Reduce(ReduceOp op, Tensor x, int[] dims, Tensor dst, Tensor? indices)
    {
        switch (x.dtype)
        {
            case ScalarType.Float32: ReduceT<float>(op, x, dims, dst, indices); break;
            case ScalarType.Float64: ReduceT<double>(op, x, dims, dst, indices); break;
            case ScalarType.Int64: ReduceT<long>(op, x, dims, dst, indices); break;
            default: throw new NotSupportedException($"Reductions are not defined for {x.dtype} tensors; convert first.");
        }
    }

    private static void ReduceT<T>(ReduceOp op, Tensor x, int[] dims, Tensor dst, Tensor? indices) where T : unmanaged, INumber<T>
    {
        int rank = x.shapeI.Length;
        int inner = 1;
        foreach (var d in dims)
        {
            inner *= x.shapeI[d];
        }
        int outer = dst.numelI;
        var dd = dst.Raw<T>();
        if (inner == 0)
        {
            if (op != ReduceOp.Sum)
            {
                throw new ArgumentException("max/min of an empty dimension is undefined.");
            }
            dd.AsSpan(dst.offset, outer).Clear();
            return;
        }
        bool contiguous = x.is_contiguous();
        bool suffix = true, prefix = true;
        for (int i = 0; i < dims.Length; i++)
        {
            suffix &= dims[i] == rank - dims.Length + i;
            prefix &= dims[i] == i;
        }
        if (contiguous && prefix && !suffix && op == ReduceOp.Sum)
        {
            // Leading dims reduced (e.g. bias gradients): add rows into the output.
            var xs = x.Raw<T>();
            var o = dd.AsSpan(dst.offset, outer);
            xs.AsSpan(x.offset, outer).CopyTo(o);
            for (int r = 1; r < inner; r++)
            {
                TP.Add(o, xs.AsSpan(x.offset + r * outer, outer), o);
            }
            return;
        }
        Tensor src = x;
        if (!(contiguous && suffix))
        {
            var perm = new int[rank];
            int k = 0;
            for (int i = 0; i < rank; i++)
            {
                if (Array.IndexOf(dims, i) < 0)
                {
                    perm[k++] = i;
                }
            }
            foreach (var d in dims)
            {
                perm[k++] = d;
            }
            var ps = new int[rank];
            var pst = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                ps[i] = x.shapeI[perm[i]];
                pst[i] = x.stridesI[perm[i]];
            }
            using var view = new Tensor(x.storage, ps, pst, x.offset);
            src = NewTensor(ps, x.dtype);
            Instance.Copy(view, src);
        }
        try
        {
            var s = src.Raw<T>();
            int so = src.offset;
            var idx = indices?.Raw<long>();
            int io = indices?.offset ?? 0;
            for (int r = 0; r < outer; r++)
            {
                var row = s.AsSpan(so + r * inner, inner);
                switch (op)
                {
                    case ReduceOp.Sum:
                        dd[dst.offset + r] = TP.Sum<T>(row);
                        break;
                    case ReduceOp.Max:
                        {
                            int i = TP.IndexOfMax<T>(row);
                            dd[dst.offset + r] = row[i];
                            if (idx is not null)
                            {
                                idx[io + r] = i;
                            }
                            break;
                        }
                    default:
                        {
                            int i = TP.IndexOfMin<T>(row);
                            dd[dst.offset + r] = row[i];
                            if (idx is not null)
                            {
                                idx[io + r] = i;
                            }
                            break;
                        }
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(src, x))
            {
                src.Dispose();
            }
        }
    }

    /// <summary>How GEMM can read a rows x cols matrix with strides (s0, s1) in place: untransposed with row stride ld, or transposed.</summary>
    private static bool GemmLayout(int rows, int cols, int s0, int s1, out bool trans, out int ld)
    {
        if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= cols))
        {
            trans = false;
            ld = rows == 1 ? cols : s0;
            return true;
        }
        if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= rows))
        {
            trans = true;
            ld = cols == 1 ? rows : s1;
            return true;
        }
        trans = false;
        ld = 0;
        return false;
    }

    public void MatMul(Tensor a, Tensor b, Tensor c, double alpha, double beta)
    {
        int rank = c.shapeI.Length;
        int m = c.shapeI[rank - 2], n = c.shapeI[rank - 1], k = a.shapeI[rank - 1];
        if (m == 0 || n == 0)
        {
            return;
        }
        if (k == 0)
        {
            if (beta == 0)
            {
                Fill(c, 0);
            }
            else
            {
                Unary(UnaryOp.MulScalar, c, c, beta);
            }
            return;
        }
        Tensor? tmpA = null, tmpB = null;
        if (!GemmLayout(m, k, a.stridesI[rank - 2], a.stridesI[rank - 1], out bool ta, out int lda))
        {
            a = tmpA = Contig(a);
            GemmLayout(m, k, a.stridesI[rank - 2], a.stridesI[rank - 1], out ta, out lda);
        }
        if (!GemmLayout(k, n, b.stridesI[rank - 2], b.stridesI[rank - 1], out bool tb, out int ldb))
        {
            b = tmpB = Contig(b);
            GemmLayout(k, n, b.stridesI[rank - 2], b.stridesI[rank - 1], out tb, out ldb);
        }
        try
        {
            int batchRank = rank - 2;
            int batch = 1;
            bool bShared = true, aFoldable = !ta && (m == 1 || a.stridesI[rank - 2] == lda);
            for (int i = 0; i < batchRank; i++)
            {
                batch *= c.shapeI[i];
                bShared &= b.stridesI[i] == 0 || c.shapeI[i] == 1;
            }
            if (batch == 0)
            {
                return;
            }
            // a's batch dims and rows must step like one tall matrix to fold the batch into m.
            if (batchRank > 0 && bShared && aFoldable)
            {
                int expect = lda * m;
                for (int i = batchRank - 1; i >= 0; i--)
                {
                    if (c.shapeI[i] != 1 && a.stridesI[i] != expect)
                    {
                        aFoldable = false;
                        break;
                    }
                    expect *= c.shapeI[i];
                }
            }
            // C is contiguous, except for attention's heads-last output (rows of each entry strided, columns contiguous),
            // which only the batched path below writes.
            bool cContiguous = c.is_contiguous();
            int ldc = c.stridesI[rank - 1] == 1 && c.stridesI[rank - 2] >= n ? c.stridesI[rank - 2] : -1;
            if (!cContiguous && (ldc < 0 || batchRank == 0))
            {
                throw new ArgumentException("matmul writes a contiguous output, or batch entries with contiguous rows.");
            }
            if (cContiguous && (batchRank == 0 || (bShared && aFoldable)))
            {
                Gemm1(a, a.offset, ta, lda, b, b.offset, tb, ldb, c, c.offset, m * batch, n, k, alpha, beta);
                return;
            }
            var bs = c.shapeI[..batchRank];
            // One batched GEMM over the entries' offsets (attention's heads): each entry runs the kernel Gemm1 would
            // run for it alone, so results are bitwise those of a loop over entries; small entries spread over the cores.
            var w = new Walker(bs, [a.offset, b.offset, c.offset], a.stridesI[..batchRank], b.stridesI[..batchRank], c.stridesI[..batchRank]);
            int[] offA = new int[batch], offB = new int[batch], offC = new int[batch];
            for (int i = 0; i < batch; i++, w.Next())
            {
                (offA[i], offB[i], offC[i]) = (w.Off[0], w.Off[1], w.Off[2]);
            }
            if (c.dtype == ScalarType.Float32)
            {
                Gemm.MultiplyBatchedOffsets(GemmOptions.Default, ta, tb, m, n, k, (float)alpha, a.Raw<float>(), lda, offA,
                    b.Raw<float>(), ldb, offB, (float)beta, c.Raw<float>(), ldc, offC);
            }
            else if (c.dtype == ScalarType.Float64)
            {
                Gemm.MultiplyBatchedOffsets(GemmOptions.Default, ta, tb, m, n, k, alpha, a.Raw<double>(), lda, offA,
                    b.Raw<double>(), ldb, offB, beta, c.Raw<double>(), ldc, offC);
            }
            else
            {
                throw new NotSupportedException($"matmul is defined for float tensors, not {c.dtype}.");
            }
        }
        finally
        {
            tmpA?.Dispose();
            tmpB?.Dispose();
        }
    }

    private static void Gemm1(Tensor a, int ao, bool ta, int lda, Tensor b, int bo, bool tb, int ldb, Tensor c, int co,
        int m, int n, int k, double alpha, double beta)
    {
        if (c.dtype == ScalarType.Float32)
        {
            Gemm.Sgemm(ta, tb, m, n, k, (float)alpha, a.Raw<float>().AsSpan(ao), lda, b.Raw<float>().AsSpan(bo), ldb,
                (float)beta, c.Raw<float>().AsSpan(co), n);
        }
        else if (c.dtype == ScalarType.Float64)
        {
            Gemm.Dgemm(ta, tb, m, n, k, alpha, a.Raw<double>().AsSpan(ao), lda, b.Raw<double>().AsSpan(bo), ldb,
                beta, c.Raw<double>().AsSpan(co), n);
        }
        else
        {
            throw new NotSupportedException($"matmul is defined for float tensors, not {c.dtype}.");
        }
    }

    public void Softmax(Tensor x, Tensor y, bool log, double scale = 1, int causalRows = 0, int causalOffset = 0)
    {
        if (x.dtype == ScalarType.Float32)
        {
            SoftmaxT<float>(x, y, log, scale, causalRows, causalOffset);
        }
        else
        {
            SoftmaxT<double>(x, y, log, scale, causalRows, causalOffset);
        }
    }

    private static void SoftmaxT<T>(Tensor x, Tensor y, bool log, double scale, int causalRows, int causalOffset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.shapeI.Length == 0 ? 1 : x.shapeI[^1];
        int rows = n == 0 ? 0 : x.numelI / n;
        var xs = x.Raw<T>();
        var ys = y.Raw<T>();
        int xo = x.offset, yo = y.offset;
        T sc = T.CreateTruncating(scale);
        bool scaled = scale != 1;
        Par.For(rows, Math.Max(1, Par.ElementwiseGrain / Math.Max(n, 1) / 4), (start, count) =>
        {
            for (int r = start; r < start + count; r++)
            {
                int valid = causalRows > 0 ? Math.Clamp(r % causalRows + causalOffset + 1, 0, n) : n;
                var row = xs.AsSpan(xo + r * n, valid);
                var full = ys.AsSpan(yo + r * n, n);
                var o = full[..valid];
                if (valid < n)
                {
                    full[valid..].Fill(log ? T.NegativeInfinity : T.Zero);
                }
                if (valid == 0)
                {
                    continue;
                }
                if (scaled)
                {
                    TP.Multiply(row, sc, o);
                    row = o;
                }
                T max = TP.Max<T>(row);
                if (T.IsNegativeInfinity(max))
                {
                    max = T.Zero;
                }
                if (log)
                {
                    // o may alias row (scaled case): take the log-sum-exp before overwriting.
                    T sumExp = T.Zero;
                    for (int j = 0; j < row.Length; j++)
                    {
                        sumExp += T.Exp(row[j] - max);
                    }
                    TP.Subtract(row, max + T.Log(sumExp), o);
                    continue;
                }
                TP.Subtract(row, max, o);
                TP.Exp<T>(o, o);
                T sum = TP.Sum<T>(o);
                TP.Multiply(o, T.One / sum, o);
            }
        });
    }

    public void SoftmaxBackward(Tensor grad, Tensor y, Tensor dx, bool log, double scale = 1)
    {
        if (y.dtype == ScalarType.Float32)
        {
            SoftmaxBackwardT<float>(grad, y, dx, log, scale);
        }
        else
        {
            SoftmaxBackwardT<double>(grad, y, dx, log, scale);
        }
    }

    private static void SoftmaxBackwardT<T>(Tensor grad, Tensor y, Tensor dx, bool log, double scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.shapeI.Length == 0 ? 1 : y.shapeI[^1];
        int rows = n == 0 ? 0 : y.numelI / n;
        var gs = grad.Raw<T>();
        var ys = y.Raw<T>();
        var ds = dx.Raw<T>();
        int go = grad.offset, yo = y.offset, dof = dx.offset;
        T sc = T.CreateTruncating(scale);
        Par.For(rows, Math.Max(1, Par.ElementwiseGrain / Math.Max(n, 1) / 4), (start, count) =>
        {
            for (int r = start; r < start + count; r++)
            {
                var g = gs.AsSpan(go + r * n, n);
                var yr = ys.AsSpan(yo + r * n, n);
                var d = ds.AsSpan(dof + r * n, n);
                if (log)
                {
                    // dx = g - softmax * sum(g)
                    T sum = TP.Sum<T>(g);
                    TP.Exp<T>(yr, d);
                    TP.MultiplyAdd(d, -sum, g, d);
                }
                else
                {
                    // dx = y * (g - sum(g * y))
                    T dot = TP.Dot<T>(g, yr);
                    TP.Subtract(g, dot, d);
                    TP.Multiply(d, yr, d);
                }
                if (scale != 1)
                {
                    TP.Multiply(d, sc, d);
                }
            }
        });
    }

    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, double eps, Tensor y, Tensor mean, Tensor rstd)
    {
        if (x.dtype == ScalarType.Float32)
        {
            LayerNormT<float>(x, weight, bias, eps, y, mean, rstd);
        }
        else
        {
            LayerNormT<double>(x, weight, bias, eps, y, mean, rstd);
        }
    }

    private static void LayerNormT<T>(Tensor x, Tensor? weight, Tensor? bias, double eps, Tensor y, Tensor mean, Tensor rstd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = mean.numelI;
        int d = rows == 0 ? 0 : x.numelI / rows;
        var xs = x.Raw<T>();
        var ys = y.Raw<T>();
        var ms = mean.Raw<T>();
        var rs = rstd.Raw<T>();
        var w = weight?.Raw<T>();
        var b = bias?.Raw<T>();
        int xo = x.offset, yo = y.offset, mo = mean.offset, ro = rstd.offset, wo = weight?.offset ?? 0, bo = bias?.offset ?? 0;
        T e = T.CreateTruncating(eps), invD = T.One / T.CreateTruncating(d);
        Par.For(rows, Math.Max(1, Par.ElementwiseGrain / Math.Max(d, 1) / 4), (start, count) =>
        {
            for (int r = start; r < start + count; r++)
            {
                var xr = xs.AsSpan(xo + r * d, d);
                var yr = ys.AsSpan(yo + r * d, d);
                T mu = TP.Sum<T>(xr) * invD;
                TP.Subtract(xr, mu, yr);
                T var = TP.SumOfSquares<T>(yr) * invD;
                T inv = T.One / T.Sqrt(var + e);
                ms[mo + r] = mu;
                rs[ro + r] = inv;
                TP.Multiply(yr, inv, yr);
                if (w is not null && b is not null)
                {
                    TP.MultiplyAdd<T>(yr, w.AsSpan(wo, d), b.AsSpan(bo, d), yr);
                }
                else if (w is not null)
                {
                    TP.Multiply<T>(yr, w.AsSpan(wo, d), yr);
                }
                else if (b is not null)
                {
                    TP.Add<T>(yr, b.AsSpan(bo, d), yr);
                }
            }
        });
    }

    public void LayerNormBackward(Tensor grad, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dweight, Tensor? dbias)
    {
        if (x.dtype == ScalarType.Float32)
        {
            LayerNormBackwardT<float>(grad, x, weight, mean, rstd, dx, dweight, dbias);
        }
        else
        {
            LayerNormBackwardT<double>(grad, x, weight, mean, rstd, dx, dweight, dbias);
        }
    }

    private static void LayerNormBackwardT<T>(Tensor grad, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dweight, Tensor? dbias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = mean.numelI;
        int d = rows == 0 ? 0 : x.numelI / rows;
        var gs = grad.Raw<T>();
        var xs = x.Raw<T>();
        var ms = mean.Raw<T>();
        var rs = rstd.Raw<T>();
        var w = weight?.Raw<T>();
        int go = grad.offset, xo = x.offset, mo = mean.offset, ro = rstd.offset, wo = weight?.offset ?? 0;
        T invD = T.One / T.CreateTruncating(d);
        var dxs = dx?.Raw<T>();
        int dxo = dx?.offset ?? 0;
        var dws = dweight?.Raw<T>();
        var dbs = dbias?.Raw<T>();
        int dwo = dweight?.offset ?? 0, dbo = dbias?.offset ?? 0;
        // Weight and bias gradients are sums over rows, each column added in row order (as one thread does). Threads
        // split the rows for dx and the columns for the sums, so every element's arithmetic, and the result, is the
        // same at any thread count.
        if (Par.Workers == 1 || (long)rows * d < Par.ElementwiseGrain / 2)
        {
            dws?.AsSpan(dwo, d).Clear();
            dbs?.AsSpan(dbo, d).Clear();
            var xhat = new T[d];
            var gw = new T[d];
            for (int r = 0; r < rows; r++)
            {
                var g = gs.AsSpan(go + r * d, d);
                T inv = rs[ro + r];
                NormalizeRow(xs.AsSpan(xo + r * d, d), ms[mo + r], inv, xhat);
                AccumulateSums(g, xhat, dws is null ? default : dws.AsSpan(dwo, d), dws is not null, dbs is null ? default : dbs.AsSpan(dbo, d), dbs is not null);
                if (dxs is not null)
                {
                    RowDx(g, w is null ? default : w.AsSpan(wo, d), xhat, gw, inv, invD, dxs.AsSpan(dxo + r * d, d));
                }
            }
            return;
        }
        if (dxs is not null)
        {
            Par.For(rows, Math.Max(1, Par.ElementwiseGrain / Math.Max(d, 1) / 4), (start, count) =>
            {
                var xhat = new T[d];
                var gw = new T[d];
                for (int r = start; r < start + count; r++)
                {
                    T inv = rs[ro + r];
                    NormalizeRow(xs.AsSpan(xo + r * d, d), ms[mo + r], inv, xhat);
                    RowDx(gs.AsSpan(go + r * d, d), w is null ? default : w.AsSpan(wo, d), xhat, gw, inv, invD, dxs.AsSpan(dxo + r * d, d));
                }
            });
        }
        if (dws is not null || dbs is not null)
        {
            const int Block = 64;
            int blocks = (d + Block - 1) / Block;
            Par.For(blocks, 1, (start, count) =>
            {
                int j0 = start * Block, len = Math.Min(d, (start + count) * Block) - j0;
                var pw = dws is null ? default : dws.AsSpan(dwo + j0, len);
                var pb = dbs is null ? default : dbs.AsSpan(dbo + j0, len);
                pw.Clear();
                pb.Clear();
                var xhat = new T[len];
                for (int r = 0; r < rows; r++)
                {
                    NormalizeRow(xs.AsSpan(xo + r * d + j0, len), ms[mo + r], rs[ro + r], xhat);
                    AccumulateSums(gs.AsSpan(go + r * d + j0, len), xhat, pw, dws is not null, pb, dbs is not null);
                }
            });
        }
    }

    private static void NormalizeRow<T>(ReadOnlySpan<T> x, T mu, T inv, Span<T> xhat) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TP.Subtract(x, mu, xhat);
        TP.Multiply<T>(xhat, inv, xhat);
    }

    private static void AccumulateSums<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> xhat, Span<T> pw, bool hasW, Span<T> pb, bool hasB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (hasW)
        {
            TP.MultiplyAdd<T>(g, xhat, pw, pw);
        }
        if (hasB)
        {
            TP.Add<T>(pb, g, pb);
        }
    }

    private static void RowDx<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> w, ReadOnlySpan<T> xhat, Span<T> gw, T inv, T invD, Span<T> o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!w.IsEmpty)
        {
            TP.Multiply<T>(g, w, gw);
        }
        else
        {
            g.CopyTo(gw);
        }
        T meanG = TP.Sum<T>(gw) * invD;
        T meanGX = TP.Dot<T>(gw, xhat) * invD;
        // dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))
        TP.MultiplyAdd<T>(xhat, -meanGX, gw, o);
        TP.Subtract<T>(o, meanG, o);
        TP.Multiply<T>(o, inv, o);
    }

    public int CrossEntropy(Tensor logits, Tensor target, long ignoreIndex, double smoothing, Tensor loss, Tensor lse)
    {
        if (logits.dtype == ScalarType.Float32)
        {
            CrossEntropyT<float>(logits, target, ignoreIndex, smoothing, loss, lse);
        }
        else
        {
            CrossEntropyT<double>(logits, target, ignoreIndex, smoothing, loss, lse);
        }
        var ts = target.Raw<long>();
        int counted = 0;
        for (int i = 0; i < loss.numelI; i++)
        {
            counted += ts[target.offset + i] == ignoreIndex ? 0 : 1;
        }
        return counted;
    }

    private static void CrossEntropyT<T>(Tensor logits, Tensor target, long ignoreIndex, double smoothing, Tensor loss, Tensor lse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = loss.numelI;
        int c = logits.shapeI[^1];
        var xs = logits.Raw<T>();
        var ts = target.Raw<long>();
        var ls = loss.Raw<T>();
        var es = lse.Raw<T>();
        int xo = logits.offset, to = target.offset, lo = loss.offset, eo = lse.offset;
        T eps = T.CreateTruncating(smoothing), invC = T.One / T.CreateTruncating(c);
        Par.For(rows, Math.Max(1, Par.ElementwiseGrain / Math.Max(c, 1) / 4), (start, count) =>
        {
            var tmp = new T[c];
            for (int r = start; r < start + count; r++)
            {
                long t = ts[to + r];
                if (t == ignoreIndex)
                {
                    ls[lo + r] = T.Zero;
                    es[eo + r] = T.Zero;
                    continue;
                }
                if (t < 0 || t >= c)
                {
                    throw new ArgumentOutOfRangeException(nameof(target), $"Target {t} is out of bounds for {c} classes.");
                }
                var row = xs.AsSpan(xo + r * c, c);
                T max = TP.Max<T>(row);
                TP.Subtract(row, max, tmp);
                TP.Exp<T>(tmp, tmp);
                T l = max + T.Log(TP.Sum<T>(tmp));
                es[eo + r] = l;
                T nll = l - row[(int)t];
                ls[lo + r] = eps == T.Zero ? nll : (T.One - eps) * nll + eps * (l - TP.Sum<T>(row) * invC);
            }
        });
    }

    public void CrossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, Tensor lse, long ignoreIndex, double smoothing, Tensor dx)
    {
        if (logits.dtype == ScalarType.Float32)
        {
            CrossEntropyBackwardT<float>(gradLoss, logits, target, lse, ignoreIndex, smoothing, dx);
        }
        else
        {
            CrossEntropyBackwardT<double>(gradLoss, logits, target, lse, ignoreIndex, smoothing, dx);
        }
    }

    private static void CrossEntropyBackwardT<T>(Tensor gradLoss, Tensor logits, Tensor target, Tensor lse, long ignoreIndex, double smoothing, Tensor dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = lse.numelI;
        int c = logits.shapeI[^1];
        var xs = logits.Raw<T>();
        var ts = target.Raw<long>();
        var gl = gradLoss.Raw<T>();
        var es = lse.Raw<T>();
        var ds = dx.Raw<T>();
        int xo = logits.offset, to = target.offset, go = gradLoss.offset, eo = lse.offset, dof = dx.offset;
        var gSt = gradLoss.numelI == 1 ? 0 : 1;
        T eps = T.CreateTruncating(smoothing), invC = T.One / T.CreateTruncating(c);
        Par.For(rows, Math.Max(1, Par.ElementwiseGrain / Math.Max(c, 1) / 4), (start, count) =>
        {
            for (int r = start; r < start + count; r++)
            {
                var d = ds.AsSpan(dof + r * c, c);
                long t = ts[to + r];
                if (t == ignoreIndex)
                {
                    d.Clear();
                    continue;
                }
                T g = gl[go + r * gSt];
                // dx = g * (softmax - (1 - eps) onehot - eps / C)
                TP.Subtract(xs.AsSpan(xo + r * c, c), es[eo + r], d);
                TP.Exp<T>(d, d);
                if (eps != T.Zero)
                {
                    TP.Subtract(d, eps * invC, d);
                }
                d[(int)t] -= T.One - eps;
                TP.Multiply(d, g, d);
            }
        });
    }
}
