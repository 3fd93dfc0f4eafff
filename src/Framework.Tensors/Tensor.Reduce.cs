using AlignFx.Tensors.Autograd;
using AlignFx.Tensors.Backends;

namespace AlignFx.Tensors;

public static partial class torch
{
    public sealed partial class Tensor
    {
        private int[] NormDims(ReadOnlySpan<long> dims)
        {
            var set = new SortedSet<int>();
            foreach (var d in dims)
            {
                if (!set.Add(Shapes.Dim(d, shapeI.Length)))
                {
                    throw new ArgumentException("Reduction dimensions must be distinct.");
                }
            }
            return set.Where(d => d < shapeI.Length).ToArray();
        }

        private int[] AllDims() => Enumerable.Range(0, shapeI.Length).ToArray();

        private (int[] Kept, int[] KeepDimShape) ReducedShapes(int[] dims)
        {
            var kept = new List<int>();
            var keep = (int[])shapeI.Clone();
            for (int i = 0; i < shapeI.Length; i++)
            {
                if (Array.IndexOf(dims, i) >= 0)
                {
                    keep[i] = 1;
                }
                else
                {
                    kept.Add(shapeI[i]);
                }
            }
            return (kept.ToArray(), keep);
        }

        private Tensor SumCore(int[] dims, bool keepdim)
        {
            if (dtype == ScalarType.Bool)
            {
                using var l = to(ScalarType.Int64);
                return l.SumCore(dims, keepdim);
            }
            var (kept, keepShape) = ReducedShapes(dims);
            var r = Empty(keepdim ? keepShape : kept, dtype, device);
            Backend.Reduce(ReduceOp.Sum, this, dims, r, null);
            if (Node.ShouldRecord(this))
            {
                var shape = shapeI;
                Node.Record(r, "SumBackward1", [this], (g, _) =>
                {
                    using var gk = g.ReshapeTo(keepShape);
                    return [gk.expand(Array.ConvertAll(shape, s => (long)s))];
                });
            }
            return r;
        }

        /// <summary>Sum of all elements (a 0-d tensor).</summary>
        public Tensor sum() => SumCore(AllDims(), false);

        /// <summary>Sum over <paramref name="dim"/>.</summary>
        public Tensor sum(long dim, bool keepdim = false) => SumCore(NormDims([dim]), keepdim);

        /// <summary>Sum over several dimensions.</summary>
        public Tensor sum(long[] dim, bool keepdim = false) => SumCore(NormDims(dim), keepdim);

        private Tensor MeanCore(int[] dims, bool keepdim)
        {
            RequireFloat("mean");
            long n = 1;
            foreach (var d in dims)
            {
                n *= shapeI[d];
            }
            using var s = SumCore(dims, keepdim);
            return s.mul(1.0 / n);
        }

        /// <summary>Mean of all elements.</summary>
        public Tensor mean() => MeanCore(AllDims(), false);

        /// <summary>Mean over <paramref name="dim"/>.</summary>
        public Tensor mean(long dim, bool keepdim = false) => MeanCore(NormDims([dim]), keepdim);

        /// <summary>Mean over several dimensions.</summary>
        public Tensor mean(long[] dim, bool keepdim = false) => MeanCore(NormDims(dim), keepdim);

        private (Tensor Values, Tensor Indexes) ArgReduce(ReduceOp op, int dim, bool keepdim)
        {
            var dims = new[] { dim };
            var (kept, keepShape) = ReducedShapes(dims);
            var outShape = keepdim ? keepShape : kept;
            var values = Empty(outShape, dtype, device);
            var idx = Empty(outShape, ScalarType.Int64, device);
            Backend.Reduce(op, this, dims, values, idx);
            if (Node.ShouldRecord(this))
            {
                var shape = shapeI;
                var dt = dtype;
                Node.Record(values, op == ReduceOp.Max ? "MaxBackward0" : "MinBackward0", [this], (g, _) =>
                {
                    var z = zeros(shape, dt);
                    using var gi = g.ReshapeTo(keepShape);
                    using var ii = idx.ReshapeTo(keepShape);
                    z.Backend.ScatterAdd(z, dim, ii, gi);
                    return [z];
                }, idx);
            }
            return (values, idx);
        }

        private Tensor ArgReduceAll(ReduceOp op, string name)
        {
            using var flat = reshape(-1);
            var (v, i) = flat.ArgReduce(op, 0, false);
            i.Dispose();
            return v;
        }

        /// <summary>The largest element.</summary>
        public Tensor max() => ArgReduceAll(ReduceOp.Max, "MaxBackward1");

        /// <summary>The largest elements along <paramref name="dim"/> and their positions.</summary>
        public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false) => ArgReduce(ReduceOp.Max, Shapes.Dim(dim, shapeI.Length), keepdim);

        /// <summary>The smallest element.</summary>
        public Tensor min() => ArgReduceAll(ReduceOp.Min, "MinBackward1");

        /// <summary>The smallest elements along <paramref name="dim"/> and their positions.</summary>
        public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false) => ArgReduce(ReduceOp.Min, Shapes.Dim(dim, shapeI.Length), keepdim);

        /// <summary>Position of the largest element in the flattened tensor, or along <paramref name="dim"/>.</summary>
        public Tensor argmax(long? dim = null, bool keepdim = false)
        {
            using var _ = no_grad();
            if (dim is null)
            {
                using var flat = reshape(-1);
                var (v, i) = flat.ArgReduce(ReduceOp.Max, 0, false);
                v.Dispose();
                return i;
            }
            var (vv, ii) = ArgReduce(ReduceOp.Max, Shapes.Dim(dim.Value, shapeI.Length), keepdim);
            vv.Dispose();
            return ii;
        }

        /// <summary>Position of the smallest element in the flattened tensor, or along <paramref name="dim"/>.</summary>
        public Tensor argmin(long? dim = null, bool keepdim = false)
        {
            using var _ = no_grad();
            if (dim is null)
            {
                using var flat = reshape(-1);
                var (v, i) = flat.ArgReduce(ReduceOp.Min, 0, false);
                v.Dispose();
                return i;
            }
            var (vv, ii) = ArgReduce(ReduceOp.Min, Shapes.Dim(dim.Value, shapeI.Length), keepdim);
            vv.Dispose();
            return ii;
        }

        /// <summary>log(sum(exp(x))) over <paramref name="dim"/>, computed stably.</summary>
        public Tensor logsumexp(long dim, bool keepdim = false)
        {
            RequireFloat("logsumexp");
            int d = Shapes.Dim(dim, shapeI.Length);
            Tensor m;
            using (no_grad())
            {
                var (mv, mi) = ArgReduce(ReduceOp.Max, d, true);
                mi.Dispose();
                // An all -inf row would give NaN from x - max; use 0 as the shift there.
                using var finite = mv.abs().lt(double.PositiveInfinity);
                m = where(finite, mv, 0.0);
                mv.Dispose();
            }
            using var shifted = sub(m);
            using var e = shifted.exp();
            using var s = e.sum(d, keepdim: true);
            using var l = s.log();
            var r = l.add(m);
            m.Dispose();
            if (keepdim)
            {
                return r;
            }
            var sq = r.squeeze(d);
            return sq;
        }

        private Tensor VarCore(int[] dims, bool unbiased, bool keepdim)
        {
            RequireFloat("var");
            long n = 1;
            foreach (var d in dims)
            {
                n *= shapeI[d];
            }
            var ld = Array.ConvertAll(dims, x => (long)x);
            using var mu = mean(ld, keepdim: true);
            using var c = sub(mu);
            using var sq = c.mul(c);
            using var s = sq.sum(ld, keepdim);
            return s.div(Math.Max(n - (unbiased ? 1 : 0), 0));
        }

        /// <summary>Variance of all elements (Bessel-corrected when unbiased).</summary>
        public Tensor var(bool unbiased = true) => VarCore(AllDims(), unbiased, false);

        /// <summary>Variance over <paramref name="dim"/>.</summary>
        public Tensor var(long dim, bool unbiased = true, bool keepdim = false) => VarCore(NormDims([dim]), unbiased, keepdim);

        /// <summary>Variance over several dimensions.</summary>
        public Tensor var(long[] dim, bool unbiased = true, bool keepdim = false) => VarCore(NormDims(dim), unbiased, keepdim);

        /// <summary>Standard deviation of all elements.</summary>
        public Tensor std(bool unbiased = true)
        {
            using var v = var(unbiased);
            return v.sqrt();
        }

        /// <summary>Standard deviation over <paramref name="dim"/>.</summary>
        public Tensor std(long dim, bool unbiased = true, bool keepdim = false)
        {
            using var v = var(dim, unbiased, keepdim);
            return v.sqrt();
        }

        /// <summary>Standard deviation over several dimensions.</summary>
        public Tensor std(long[] dim, bool unbiased = true, bool keepdim = false)
        {
            using var v = var(dim, unbiased, keepdim);
            return v.sqrt();
        }

        /// <summary>The Euclidean (L2) norm of all elements.</summary>
        public Tensor norm()
        {
            using var sq = mul(this);
            using var s = sq.sum();
            return s.sqrt();
        }
    }
}
