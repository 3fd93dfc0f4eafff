using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Autograd;

/// <summary>Compares autograd gradients with float64 central differences of a random projection of the output.</summary>
internal static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] leaves, double h = 1e-6, double atol = 1e-6, double rtol = 1e-5)
    {
        foreach (var l in leaves)
        {
            l.grad = null;
        }
        var output = f(leaves);
        Assert.Equal(ScalarType.Float64, output.dtype);
        var projection = randn(output.shape, dtype: float64, generator: new Generator(12345));
        var loss = output.mul(projection).sum();
        loss.backward();

        double Eval()
        {
            using var _ = no_grad();
            using var o = f(leaves);
            using var p = o.mul(projection);
            using var s = p.sum();
            return s.item<double>();
        }

        for (int li = 0; li < leaves.Length; li++)
        {
            var leaf = leaves[li];
            if (!leaf.requires_grad)
            {
                continue;
            }
            Assert.True(leaf.grad is not null, $"leaf {li} got no gradient");
            var analytic = leaf.grad!.ToArray<double>();
            var data = leaf.data<double>();
            for (int j = 0; j < analytic.Length; j++)
            {
                double orig = data[j];
                data[j] = orig + h;
                double plus = Eval();
                data = leaf.data<double>();
                data[j] = orig - h;
                double minus = Eval();
                data = leaf.data<double>();
                data[j] = orig;
                double numeric = (plus - minus) / (2 * h);
                double tol = atol + rtol * Math.Abs(numeric) + 1e-7 * Math.Max(1, Math.Abs(plus));
                Assert.True(Math.Abs(numeric - analytic[j]) <= tol,
                    $"leaf {li} element {j}: analytic {analytic[j]:R} vs numeric {numeric:R}");
            }
        }
    }

    /// <summary>A float64 leaf of standard normals from a fixed seed.</summary>
    public static Tensor Leaf(long seed, params long[] shape) => randn(shape, dtype: float64, generator: new Generator(seed)).requires_grad_();

    /// <summary>A float64 leaf of values in [lo, hi).</summary>
    public static Tensor Positive(long seed, double lo, double hi, params long[] shape)
    {
        using var _ = no_grad();
        var u = rand(shape, dtype: float64, generator: new Generator(seed));
        return u.mul(hi - lo).add(lo).requires_grad_();
    }
}
