using AlignFx.Tensors.Autograd;
using AlignFx.Tensors.Backends;

namespace AlignFx.Tensors;

public static partial class torch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// Sorts along <paramref name="dim"/>: the sorted values and, as int64, where each came from. With
        /// <paramref name="stable"/> equal values keep their index order (ascending or descending alike); the managed
        /// backend is always stable. NaN sorts above every number (last ascending, first descending), as in PyTorch;
        /// −0 and +0 are equal. The values' gradient scatters back through the indices.
        /// </summary>
        public (Tensor Values, Tensor Indices) sort(long dim = -1, bool descending = false, bool stable = false)
        {
            if (dtype == ScalarType.Bool)
            {
                throw new NotSupportedException("sort is not defined for bool tensors; convert first.");
            }
            int d = shapeI.Length == 0 ? 0 : Shapes.Dim(dim, shapeI.Length);
            var values = Empty(shapeI, dtype, device);
            var indices = Empty(shapeI, ScalarType.Int64, device);
            Backend.Sort(this, d, descending, stable, values, indices);
            if (Node.ShouldRecord(this))
            {
                var shape = shapeI;
                var dt = dtype;
                Node.Record(values, "SortBackward0", [this], (g, _) =>
                {
                    var z = zeros(shape, dt);
                    if (shape.Length == 0)
                    {
                        z.Backend.Copy(g, z);
                        return [z];
                    }
                    z.Backend.ScatterAdd(z, d, indices, g);
                    return [z];
                }, indices);
            }
            return (values, indices);
        }

        /// <summary>
        /// Running sums along <paramref name="dim"/>: element i is x[0] + x[1] + ... + x[i], added one after another in
        /// index order (float32 accumulates in float64 and rounds each output, as libtorch's CPU kernel does; float64
        /// and int64 accumulate in their own type). Bool counts as int64. The backward is the reversed running sum.
        /// </summary>
        public Tensor cumsum(long dim)
        {
            if (dtype == ScalarType.Bool)
            {
                using var l = to(ScalarType.Int64);
                return l.cumsum(dim);
            }
            int d = shapeI.Length == 0 ? 0 : Shapes.Dim(dim, shapeI.Length);
            var r = Empty(shapeI, dtype, device);
            Backend.CumSum(this, d, false, r);
            if (Node.ShouldRecord(this))
            {
                Node.Record(r, "CumsumBackward0", [this], (g, _) =>
                {
                    var gi = Empty(g.shapeI, g.dtype, g.device);
                    g.Backend.CumSum(g, d, true, gi);
                    return [gi];
                });
            }
            return r;
        }

        /// <summary>
        /// e^x computed element by element by the C library's exp, the function <see cref="Math.Exp"/> calls, for code that
        /// must reproduce host double arithmetic bit for bit. <see cref="exp"/> uses vectorised approximations that
        /// differ from it in the last bit for many inputs (TensorPrimitives' float64 exp for about 40% of arguments in
        /// [−700, 0], libtorch's for about 0.5%); this is slower. On the managed backend and libtorch's CPU device it
        /// runs on the tensor's own memory; on CUDA it is the device's exp (no C library there, so not bitwise the host's).
        /// Not differentiable (no_grad use).
        /// </summary>
        public Tensor exp_libm()
        {
            RequireFloat("exp_libm");
            if (Node.ShouldRecord(this))
            {
                throw new NotSupportedException("exp_libm is not differentiable; use exp() where gradients are needed.");
            }
            return UnaryRaw(UnaryOp.ExpLibm);
        }
    }

    /// <summary>Sorts along a dimension; returns (values, indices).</summary>
    public static (Tensor Values, Tensor Indices) sort(Tensor input, long dim = -1, bool descending = false, bool stable = false) =>
        input.sort(dim, descending, stable);

    /// <summary>Running sums along a dimension.</summary>
    public static Tensor cumsum(Tensor input, long dim) => input.cumsum(dim);
}
