using AlignFx.Tensors.Backends;
using AlignFx.Tensors.Backends.Cpu;
using static AlignFx.Tensors.torch;
using TS = TorchSharp.torch;

namespace AlignFx.Tensors.Torch;

internal sealed partial class TorchBackend
{
    public void Reduce(ReduceOp op, Tensor x, int[] dims, Tensor dst, Tensor? indices)
    {
        if (x.dtype == ScalarType.Bool)
        {
            throw new NotSupportedException($"Reductions are not defined for {x.dtype} tensors; convert first.");
        }
        if (dims.Length == 0)
        {
            Copy(x, dst);
            indices?.Backend.Fill(indices, 0);
            return;
        }
        if (op != ReduceOp.Sum && x.numelI == 0)
        {
            throw new ArgumentException("max/min of an empty dimension is undefined.");
        }
        var keptShape = L(dst.shapeI);
        if (op == ReduceOp.Sum)
        {
            Store(dst, () => View(x).sum(L(dims), keepdim: false, type: ToTs(x.dtype)).reshape(keptShape));
            return;
        }
        TS.Tensor values, idx;
        using (TS.NewDisposeScope())
        {
            // Kept dims first, reduced dims flattened last: arg-positions index the flattened reduced block.
            var v = View(x);
            int rank = x.shapeI.Length;
            var order = Enumerable.Range(0, rank).Where(d => Array.IndexOf(dims, d) < 0).Concat(dims).Select(d => (long)d).ToArray();
            var flat = v.permute(order).reshape([.. keptShape, -1]);
            var (mv, mi) = op == ReduceOp.Max ? flat.max(-1) : flat.min(-1);
            values = mv.DetachFromDisposeScope();
            idx = mi.DetachFromDisposeScope();
        }
        Store(dst, values);
        if (indices is not null)
        {
            Store(indices, idx);
        }
        else
        {
            idx.Dispose();
        }
    }

    public void MatMul(Tensor a, Tensor b, Tensor c, double alpha, double beta)
    {
        if (beta == 0)
        {
            Store(c, () =>
            {
                var m = View(a).matmul(View(b));
                return alpha == 1 ? m : m.mul(alpha);
            });
            return;
        }
        using var scope = TS.NewDisposeScope();
        var cv = View(c);
        var p = View(a).matmul(View(b));
        if (beta != 1)
        {
            cv.mul_(beta);
        }
        cv.add_(p, alpha);
    }

    public void Softmax(Tensor x, Tensor y, bool log, double scale = 1, int causalRows = 0, int causalOffset = 0) => Store(y, () =>
    {
        var v = View(x);
        if (scale != 1)
        {
            v = v.mul(scale);
        }
        if (causalRows > 0)
        {
            long n = x.shapeI[^1];
            var mask = TS.ones([causalRows, n], TS.ScalarType.Bool, TsDevice).triu(causalOffset + 1);
            v = v.reshape(-1, causalRows, n).masked_fill(mask, double.NegativeInfinity).reshape(L(x.shapeI));
        }
        return log ? v.log_softmax(-1) : v.softmax(-1);
    });

    public void SoftmaxBackward(Tensor grad, Tensor y, Tensor dx, bool log, double scale = 1) => Store(dx, () =>
    {
        var g = View(grad);
        var yv = View(y);
        var r = log
            ? g.sub(yv.exp().mul(g.sum([-1], keepdim: true)))
            : yv.mul(g.sub(g.mul(yv).sum([-1], keepdim: true)));
        return scale == 1 ? r : r.mul(scale);
    });

    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, double eps, Tensor y, Tensor mean, Tensor rstd)
    {
        TS.Tensor yr, mr, rr;
        using (TS.NewDisposeScope())
        {
            long rows = mean.numelI, d = rows == 0 ? 0 : x.numelI / rows;
            var v = View(x).reshape(rows, d);
            var mu = v.mean([-1], keepdim: true);
            var xc = v.sub(mu);
            var rs = xc.mul(xc).mean([-1], keepdim: true).add(eps).rsqrt();
            var o = xc.mul(rs);
            if (weight is not null)
            {
                o = o.mul(View(weight).reshape(-1));
            }
            if (bias is not null)
            {
                o = o.add(View(bias).reshape(-1));
            }
            yr = o.reshape(L(y.shapeI)).DetachFromDisposeScope();
            mr = mu.reshape(-1).DetachFromDisposeScope();
            rr = rs.reshape(-1).DetachFromDisposeScope();
        }
        Store(y, yr);
        Store(mean, mr);
        Store(rstd, rr);
    }

    public void LayerNormBackward(Tensor grad, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dweight, Tensor? dbias)
    {
        TS.Tensor? rx = null, rw = null, rb = null;
        using (TS.NewDisposeScope())
        {
            long rows = mean.numelI, d = rows == 0 ? 0 : x.numelI / rows;
            var g = View(grad).reshape(rows, d);
            var rs = View(rstd).unsqueeze(-1);
            var xhat = View(x).reshape(rows, d).sub(View(mean).unsqueeze(-1)).mul(rs);
            if (dweight is not null)
            {
                rw = g.mul(xhat).sum([0]).reshape(L(dweight.shapeI)).DetachFromDisposeScope();
            }
            if (dbias is not null)
            {
                rb = g.sum([0]).reshape(L(dbias.shapeI)).DetachFromDisposeScope();
            }
            if (dx is not null)
            {
                var gx = weight is null ? g : g.mul(View(weight).reshape(-1));
                rx = gx.sub(gx.mean([-1], keepdim: true)).sub(xhat.mul(gx.mul(xhat).mean([-1], keepdim: true))).mul(rs).reshape(L(dx.shapeI)).DetachFromDisposeScope();
            }
        }
        if (rx is not null)
        {
            Store(dx!, rx);
        }
        if (rw is not null)
        {
            Store(dweight!, rw);
        }
        if (rb is not null)
        {
            Store(dbias!, rb);
        }
    }

    public int CrossEntropy(Tensor logits, Tensor target, long ignoreIndex, double smoothing, Tensor loss, Tensor lse)
    {
        int c = logits.shapeI[^1];
        TS.Tensor lossR, lseR;
        int counted;
        using (TS.NewDisposeScope())
        {
            var x = View(logits).reshape(-1, c);
            var t = View(target).reshape(-1);
            var keep = t.ne(ignoreIndex);
            counted = (int)keep.sum().item<long>();
            var safe = t.masked_fill(keep.logical_not(), 0);
            if (counted > 0)
            {
                var kept = t.masked_select(keep);
                long lo = kept.min().item<long>(), hi = kept.max().item<long>();
                if (lo < 0 || hi >= c)
                {
                    throw new ArgumentOutOfRangeException(nameof(target), $"Target {(lo < 0 ? lo : hi)} is out of bounds for {c} classes.");
                }
            }
            var l = x.logsumexp(-1, keepdim: false);
            var nll = l.sub(x.gather(-1, safe.unsqueeze(-1)).squeeze(-1));
            if (smoothing != 0)
            {
                nll = nll.mul(1 - smoothing).add(l.sub(x.mean([-1])).mul(smoothing));
            }
            lossR = nll.mul(keep).reshape(L(loss.shapeI)).DetachFromDisposeScope();
            lseR = l.mul(keep).reshape(L(lse.shapeI)).DetachFromDisposeScope();
        }
        Store(loss, lossR);
        Store(lse, lseR);
        return counted;
    }

    public void CrossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, Tensor lse, long ignoreIndex, double smoothing, Tensor dx) => Store(dx, () =>
    {
        int c = logits.shapeI[^1];
        var x = View(logits).reshape(-1, c);
        var t = View(target).reshape(-1);
        var keep = t.ne(ignoreIndex);
        var safe = t.masked_fill(keep.logical_not(), 0);
        var p = x.sub(View(lse).unsqueeze(-1)).exp();
        if (smoothing != 0)
        {
            p = p.sub(smoothing / c);
        }
        var onehot = safe.unsqueeze(-1).eq(TS.arange(c, TS.ScalarType.Int64, TsDevice)).to(p.dtype).mul(1 - smoothing);
        var g = View(gradLoss).reshape(-1, 1).mul(keep.unsqueeze(-1));
        return p.sub(onehot).mul(g).reshape(L(dx.shapeI));
    });

    /// <summary>The index with negative entries counted from the end, checked against size as the managed backend does.</summary>
    private TS.Tensor Index(Tensor index, int size)
    {
        var i = View(index);
        if (i.numel() == 0)
        {
            return i;
        }
        long lo = i.min().item<long>(), hi = i.max().item<long>();
        if (lo < -size || hi >= size)
        {
            long bad = lo < -size ? lo : hi;
            throw new ArgumentOutOfRangeException(nameof(index), $"Index {bad} is out of bounds for a dimension of size {size}.");
        }
        return lo < 0 ? i.remainder(size) : i;
    }

    public void Sort(Tensor x, int dim, bool descending, bool stable, Tensor values, Tensor indices)
    {
        TS.Tensor v, i;
        using (TS.NewDisposeScope())
        {
            var (sv, si) = View(x).sort(dim, descending, stable);
            v = sv.contiguous().DetachFromDisposeScope();
            i = si.contiguous().DetachFromDisposeScope();
        }
        Store(values, v);
        Store(indices, i);
    }

    public void CumSum(Tensor x, int dim, bool reverse, Tensor dst) => Store(dst, () =>
        reverse ? View(x).flip(dim).cumsum(dim).flip(dim) : View(x).cumsum(dim));

    public void Gather(Tensor x, int dim, Tensor index, Tensor dst) => Store(dst, () => View(x).gather(dim, Index(index, x.shapeI[dim])));

    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        using var scope = TS.NewDisposeScope();
        var i = Index(index, dst.shapeI[dim]);
        var s = View(src);
        if (!s.shape.SequenceEqual(i.shape))
        {
            s = s.narrow(0, 0, i.shape[0]);
            for (int d = 1; d < i.shape.Length; d++)
            {
                s = s.narrow(d, 0, i.shape[d]);
            }
        }
        View(dst).scatter_add_(dim, i, s);
    }

    public void IndexSelect(Tensor x, int dim, Tensor index, Tensor dst) => Store(dst, () => View(x).index_select(dim, Index(index, x.shapeI[dim]).reshape(-1)).reshape(L(dst.shapeI)));

    public void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        using var scope = TS.NewDisposeScope();
        View(dst).index_add_(dim, Index(index, dst.shapeI[dim]), View(src), 1);
    }

    public void Triangle(Tensor x, Tensor dst, int diagonal, bool upper) =>
        Store(dst, () => upper ? View(x).triu(diagonal) : View(x).tril(diagonal));

    // ---------------- random draws: our generator on the host, then one copy in ----------------

    private void HostDraw(Tensor dst, Action<Tensor> draw)
    {
        using var tmp = Tensor.Empty(dst.shapeI, dst.dtype, CPU);
        draw(tmp);
        Copy(tmp, dst);
    }

    public void Uniform(Tensor dst, double low, double high, Generator generator) =>
        HostDraw(dst, t => CpuBackend.Instance.Uniform(t, low, high, generator));

    public void DropoutMask(Tensor dst, double p, Generator generator) =>
        HostDraw(dst, t => CpuBackend.Instance.DropoutMask(t, p, generator));

    public void Normal(Tensor dst, double mean, double std, Generator generator) =>
        HostDraw(dst, t => CpuBackend.Instance.Normal(t, mean, std, generator));

    public void RandInt(Tensor dst, long low, long high, Generator generator) =>
        HostDraw(dst, t => CpuBackend.Instance.RandInt(t, low, high, generator));

    public void Multinomial(Tensor weights, int numSamples, bool replacement, Generator generator, Tensor dst)
    {
        using var w = Tensor.Empty(weights.shapeI, weights.dtype, CPU);
        Copy(weights, w);
        HostDraw(dst, t => CpuBackend.Instance.Multinomial(w, numSamples, replacement, generator, t));
    }
}
