using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Core;

public class SmokeTests
{
    [Fact]
    public void MatmulReluSumBackwardProducesLeafGradients()
    {
        manual_seed(1);
        var x = randn(2, 3, requires_grad: true);
        var w = randn(3, 4, requires_grad: true);
        var y = x.matmul(w).relu().sum();
        y.backward();
        Assert.NotNull(x.grad);
        Assert.NotNull(w.grad);
        Assert.Equal(new long[] { 2, 3 }, x.grad!.shape);
        Assert.Equal(new long[] { 3, 4 }, w.grad!.shape);
        Assert.Equal("SumBackward1", y.grad_fn);
    }
}
