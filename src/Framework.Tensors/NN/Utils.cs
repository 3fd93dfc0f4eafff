namespace AlignFx.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Gradient utilities (PyTorch's <c>torch.nn.utils</c>).</summary>
        public static class utils
        {
            /// <summary>
            /// Scales the gradients so that their joint norm is at most <paramref name="max_norm"/>, as PyTorch does:
            /// total = ‖(‖g₁‖, ‖g₂‖, ...)‖ in the given norm, and every gradient is multiplied by
            /// max_norm / (total + 1e-6) when that is below 1. Parameters without a gradient are skipped.
            /// </summary>
            /// <returns>The total norm before clipping.</returns>
            public static double clip_grad_norm_(IEnumerable<Parameter> parameters, double max_norm, double norm_type = 2,
                bool error_if_nonfinite = false)
            {
                ArgumentNullException.ThrowIfNull(parameters);
                var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
                if (grads.Count == 0)
                {
                    return 0;
                }
                double total = 0;
                bool inf = double.IsPositiveInfinity(norm_type);
                // Gradients the host cannot read (a GPU's) are reduced on their device; one value each comes back.
                double[] norms = grads.All(g => g.Storage.IsHostMemory && !Optim.Optimizer.TensorOpsForTests)
                    ? [.. grads.Select(g => Norm(g, norm_type))]
                    : DeviceNorms(grads, norm_type);
                foreach (double n in norms)
                {
                    total = inf ? Math.Max(total, n) : total + Math.Pow(n, norm_type);
                }
                if (!inf)
                {
                    total = Math.Pow(total, 1 / norm_type);
                }
                if (error_if_nonfinite && !double.IsFinite(total))
                {
                    throw new InvalidOperationException($"The total norm of order {norm_type} of the gradients is non-finite, so it cannot be clipped.");
                }
                double coef = max_norm / (total + 1e-6);
                if (coef < 1)
                {
                    using var _ = no_grad();
                    foreach (var g in grads)
                    {
                        g.mul_(coef);
                    }
                }
                return total;
            }

            /// <summary>Clamps every gradient element into [-clip_value, clip_value].</summary>
            public static void clip_grad_value_(IEnumerable<Parameter> parameters, double clip_value)
            {
                ArgumentNullException.ThrowIfNull(parameters);
                using var _ = no_grad();
                foreach (var p in parameters)
                {
                    p.grad?.clamp_(-clip_value, clip_value);
                }
            }

            // Each gradient's norm, accumulated in float64 on the gradients' device, in one copy to the host.
            private static double[] DeviceNorms(List<Tensor> grads, double p)
            {
                using var scope = NewDisposeScope();
                Tensor Of(Tensor g)
                {
                    Tensor a = g.to(ScalarType.Float64).abs();
                    return double.IsPositiveInfinity(p) ? a.max() : p == 2 ? a.square().sum().sqrt() : a.pow(p).sum().pow(1 / p);
                }
                return stack([.. grads.Select(Of)]).ToArray<double>();
            }

            // The norm of one gradient, accumulated in double, read in place when contiguous (no copy per step).
            private static double Norm(Tensor g, double p)
            {
                if (!g.is_contiguous())
                {
                    using var c = g.contiguous();
                    return Norm(c, p);
                }
                return g.dtype == ScalarType.Float64
                    ? Norm<double>(g.HostElements<double>(), p)
                    : Norm<float>(g.HostElements<float>(), p);
            }

            private static double Norm<T>(ReadOnlySpan<T> values, double p) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
            {
                double acc = 0;
                if (double.IsPositiveInfinity(p))
                {
                    foreach (var v in values)
                    {
                        acc = Math.Max(acc, Math.Abs(double.CreateChecked(v)));
                    }
                    return acc;
                }
                foreach (var v in values)
                {
                    double d = double.CreateChecked(v);
                    acc += p == 2 ? d * d : Math.Pow(Math.Abs(d), p);
                }
                return p == 2 ? Math.Sqrt(acc) : Math.Pow(acc, 1 / p);
            }
        }
    }
}
