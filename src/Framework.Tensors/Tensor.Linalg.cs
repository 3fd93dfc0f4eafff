using AlignFx.Tensors.Autograd;

namespace AlignFx.Tensors;

public static partial class torch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Matrix product with PyTorch semantics: 1-D·1-D is a dot product; a 1-D operand gains and then loses a
        /// unit dimension; batch dimensions broadcast. Runs on the shared GEMM without copying transposed views.
        /// </summary>
        public Tensor matmul(Tensor other)
        {
            var (a, b) = Promote(this, other);
            a.RequireFloat("matmul");
            if (a.shapeI.Length == 0 || b.shapeI.Length == 0)
            {
                throw new ArgumentException("matmul needs tensors with at least one dimension.");
            }
            if (a.shapeI.Length >= 2 && b.shapeI.Length >= 2)
            {
                return MatMulCore(a, b);
            }
            using var a2 = a.shapeI.Length == 1 ? a.unsqueeze(0) : null;
            using var b2 = b.shapeI.Length == 1 ? b.unsqueeze(1) : null;
            using var r = MatMulCore(a2 ?? a, b2 ?? b);
            if (a2 is not null && b2 is not null)
            {
                return r.reshape([]);
            }
            return a2 is not null ? r.squeeze(-2) : r.squeeze(-1);
        }

        /// <summary>
        /// <see cref="matmul"/> of [B, H, M, K] by [B, H, K, N] (attention's probabilities by its values) written into a
        /// contiguous [B, M, H, N] buffer; returns the [B, H, M, N] view of it. Each entry is the same GEMM as in
        /// <see cref="matmul"/> with another row stride for C, so the values are bitwise the same; merging the heads
        /// afterwards (<c>transpose(1, 2).reshape(B, M, H·N)</c>) is then a view instead of a copy. Other shapes and
        /// non-CPU backends take <see cref="matmul"/>.
        /// </summary>
        internal Tensor MatMulHeadsLast(Tensor other)
        {
            if (shapeI.Length != 4 || other.shapeI.Length != 4 || dtype != other.dtype || dtype is not (ScalarType.Float32 or ScalarType.Float64)
                || Backend is not Backends.Cpu.CpuBackend || other.Backend is not Backends.Cpu.CpuBackend
                || shapeI[0] != other.shapeI[0] || shapeI[1] != other.shapeI[1] || shapeI[3] != other.shapeI[2])
            {
                return matmul(other);
            }
            int bs = shapeI[0], h = shapeI[1], m = shapeI[2], n = other.shapeI[3];
            using var store = Empty([bs, m, h, n], dtype, device);
            var c = new Tensor(store.storage, [bs, h, m, n], [m * h * n, n, h * n, 1], 0);
            return MatMulCore(this, other, c);
        }

        private static Tensor MatMulCore(Tensor a, Tensor b, Tensor? into = null)
        {
            int ra = a.shapeI.Length, rb = b.shapeI.Length;
            int m = a.shapeI[ra - 2], k = a.shapeI[ra - 1], k2 = b.shapeI[rb - 2], n = b.shapeI[rb - 1];
            if (k != k2)
            {
                throw new ArgumentException($"matmul shapes {Shapes.Format(a.shapeI)} and {Shapes.Format(b.shapeI)} do not align ({k} vs {k2}).");
            }
            var batch = Shapes.Broadcast(a.shapeI.AsSpan(0, ra - 2), b.shapeI.AsSpan(0, rb - 2));
            int[] full(int x, int y) => [.. batch, x, y];
            var aShape = full(m, k);
            var bShape = full(k, n);
            var c = into ?? Empty(full(m, n), a.dtype, a.device);
            using (var av = new Tensor(a.storage, aShape, Shapes.BroadcastStrides(a.shapeI, a.stridesI, aShape), a.offset))
            using (var bv = new Tensor(b.storage, bShape, Shapes.BroadcastStrides(b.shapeI, b.stridesI, bShape), b.offset))
            {
                a.Backend.MatMul(av, bv, c, 1, 0);
            }
            if (Node.ShouldRecord(a, b))
            {
                Node.Record(c, "MmBackward0", [a, b], (g, need) =>
                {
                    Tensor? ga = null, gb = null;
                    if (need[0])
                    {
                        using var bt = b.transpose(-1, -2);
                        var full = g.matmul(bt);
                        ga = full.SumTo(a.shapeI);
                    }
                    if (need[1])
                    {
                        if (rb == 2 && ra > 2)
                        {
                            // Fold the batch into the rows: one GEMM, no batched partials to sum.
                            using var af = a.reshape(-1, k);
                            using var gf = g.reshape(-1, n);
                            using var aft = af.t();
                            gb = aft.matmul(gf);
                        }
                        else
                        {
                            using var at = a.transpose(-1, -2);
                            var full = at.matmul(g);
                            gb = full.SumTo(b.shapeI);
                        }
                    }
                    return [ga, gb];
                }, a, b);
            }
            return c;
        }

        /// <summary>Matrix product of two 2-D tensors.</summary>
        public Tensor mm(Tensor other)
        {
            if (shapeI.Length != 2 || other.shapeI.Length != 2)
            {
                throw new ArgumentException("mm needs two 2-D tensors.");
            }
            return matmul(other);
        }

        /// <summary>Batched matrix product of two 3-D tensors with equal batch sizes.</summary>
        public Tensor bmm(Tensor other)
        {
            if (shapeI.Length != 3 || other.shapeI.Length != 3 || shapeI[0] != other.shapeI[0])
            {
                throw new ArgumentException("bmm needs two 3-D tensors with the same batch size.");
            }
            return matmul(other);
        }

        /// <summary>Softmax over <paramref name="dim"/> (fused, stable).</summary>
        public Tensor softmax(long dim) => SoftmaxAny(dim, false);

        /// <summary>Log-softmax over <paramref name="dim"/> (fused, stable).</summary>
        public Tensor log_softmax(long dim) => SoftmaxAny(dim, true);

        private Tensor SoftmaxAny(long dim, bool log)
        {
            RequireFloat(log ? "log_softmax" : "softmax");
            int d = Shapes.Dim(dim, shapeI.Length);
            if (shapeI.Length > 0 && d != shapeI.Length - 1)
            {
                using var tr = transpose(d, -1);
                using var s = tr.SoftmaxLast(log);
                return s.transpose(d, -1);
            }
            return SoftmaxLast(log);
        }

        private Tensor SoftmaxLast(bool log) => SoftmaxCore(log, 1, false);

        /// <summary>softmax(scale * x) over the last dim, optionally causal over the last two dims (bottom-right aligned).</summary>
        internal Tensor ScaledSoftmax(double scale, bool causal) => SoftmaxCore(false, scale, causal);

        private Tensor SoftmaxCore(bool log, double scale, bool causal)
        {
            var x = Contig();
            var y = Empty(shapeI, dtype, device);
            int rowsPer = causal ? shapeI[^2] : 0;
            int offset = causal ? shapeI[^1] - shapeI[^2] : 0;
            Backend.Softmax(x, y, log, scale, rowsPer, offset);
            if (!ReferenceEquals(x, this))
            {
                x.Dispose();
            }
            if (Node.ShouldRecord(this))
            {
                Node.Record(y, log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", [this], (g, _) =>
                {
                    var gc = g.Contig();
                    var dx = Empty(y.shapeI, y.dtype, y.device);
                    y.Backend.SoftmaxBackward(gc, y, dx, log, scale);
                    if (!ReferenceEquals(gc, g))
                    {
                        gc.Dispose();
                    }
                    return [dx];
                }, y);
            }
            return y;
        }
    }
}
