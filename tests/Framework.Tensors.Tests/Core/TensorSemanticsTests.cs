using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Core;

/// <summary>Storage sharing, views, autograd bookkeeping and guards.</summary>
public class TensorSemanticsTests
{
    [Fact]
    public void ViewsShareStorageAndTransposeIsNotContiguous()
    {
        var x = arange(12).reshape(3, 4).to(float32);
        var t = x.t();
        Assert.False(t.is_contiguous());
        Assert.Equal(new long[] { 1, 4 }, t.stride());
        t.select(0, 1).fill_(-1);
        Assert.Equal(new float[] { 0, -1, 2, 3, 4, -1, 6, 7, 8, -1, 10, 11 }, x.ToArray<float>());
        var c = t.contiguous();
        Assert.True(c.is_contiguous());
        Assert.Equal(new float[] { 0, 4, 8, -1, -1, -1, 2, 6, 10, 3, 7, 11 }, c.ToArray<float>());
        Assert.Throws<InvalidOperationException>(() => t.view(12));
        Assert.Equal(c.ToArray<float>(), t.reshape(12).ToArray<float>());
        // A non-contiguous tensor whose merged dims are still uniform can be viewed.
        var n = zeros(4, 6).narrow(1, 0, 3);
        Assert.Equal(new long[] { 2, 2, 3 }, n.view(2, 2, 3).shape);
    }

    [Fact]
    public void SliceSelectNarrowAndIndexerAddressTheRightElements()
    {
        var x = arange(24).reshape(2, 3, 4);
        Assert.Equal(new long[] { 13, 15 }, x[1].select(0, 0).slice(0, 1, 4, 2).ToArray<long>());
        Assert.Equal(new long[] { 4, 5, 6, 7, 8, 9, 10, 11 }, x.narrow(1, 1, 2)[0].ToArray<long>());
        Assert.Equal(new long[] { 3, 7, 11 }, x[0].slice(1, -1, 100).flatten().ToArray<long>());
        Assert.Equal(new long[] { 2, 1, 3, 4 }, x.unsqueeze(1).shape);
        Assert.Equal(new long[] { 2, 3, 4, 1 }, x.unsqueeze(-1).shape);
        Assert.Equal(new long[] { 3, 4 }, x.narrow(0, 1, 1).squeeze().shape);
        Assert.Equal(new long[] { 4, 2, 3 }, x.permute(2, 0, 1).shape);
        Assert.Equal(new long[] { 5, 3, 4 }, zeros(1, 4).expand(5, 3, -1).shape);
    }

    [Fact]
    public void ItemToArrayDataAndToString()
    {
        var x = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        Assert.Equal(4f, x[1][1].item<float>());
        Assert.Equal(4.0, x.sum().item<double>() - 6.0);
        x.data<float>()[0] = 10;
        Assert.Equal(10f, x.ToArray<float>()[0]);
        Assert.Contains("[2x2], type = Float32", x.ToString());
        Assert.Throws<InvalidOperationException>(() => x.ToArray<double>());
        Assert.Throws<InvalidOperationException>(() => x.item<float>());
    }

    [Fact]
    public void TypePromotionComparisonsAndWhere()
    {
        var i = arange(4);
        Assert.Equal(int64, i.dtype);
        var f = i + tensor(new float[] { 0.5f, 0.5f, 0.5f, 0.5f });
        Assert.Equal(float32, f.dtype);
        Assert.Equal(new float[] { 0.5f, 1.5f, 2.5f, 3.5f }, f.ToArray<float>());
        Assert.Equal(float32, (i / 2).dtype);
        var m = f.gt(1.0);
        Assert.Equal(@bool, m.dtype);
        Assert.Equal(new[] { false, true, true, true }, m.ToArray<bool>());
        Assert.Equal(new[] { true, false, false, false }, m.logical_not().ToArray<bool>());
        Assert.Equal(new float[] { 0, 1.5f, 2.5f, 3.5f }, where(m, f, 0.0).ToArray<float>());
        Assert.Equal(new float[] { 0.5f, -1, -1, -1 }, f.masked_fill(m, -1).ToArray<float>());
        Assert.True(eye(3).eq(eye(3).t()).all());
        Assert.Equal(new float[] { 1, 0, 0, 1, 1, 0, 1, 1, 1 }, ones(3, 3).tril().ToArray<float>());
        Assert.Equal(new float[] { 0, 1, 1, 0, 0, 1, 0, 0, 0 }, ones(3, 3).triu(1).ToArray<float>());
    }

    [Fact]
    public void CatStackSplitAndChunkShapes()
    {
        var a = ones(2, 3);
        var b = zeros(2, 1);
        Assert.Equal(new long[] { 2, 4 }, cat([a, b], 1).shape);
        Assert.Equal(new long[] { 2, 2, 3 }, stack([a, a], 0).shape);
        Assert.Equal(new long[] { 2, 3, 2 }, stack([a, a], -1).shape);
        Assert.Equal(new long[] { 2, 2, 1 }, arange(5).split(2).Select(t => t.numel()).ToArray());
        Assert.Equal(new long[] { 3, 3, 1 }, arange(7).chunk(3).Select(t => t.numel()).ToArray());
        Assert.Equal(new long[] { 1, 2, 3, 4 }, arange(1, 5).ToArray<long>());
        Assert.Equal(new float[] { 0, 0.5f, 1, 1.5f }, arange(0.0, 2.0, 0.5).ToArray<float>());
        Assert.Equal(new float[] { 7, 7 }, full([2], 7).ToArray<float>());
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCallsAndOnlyLeavesKeepThem()
    {
        var x = tensor(new double[] { 1, 2, 3 }, requires_grad: true);
        var y = (x * x).sum();
        y.backward(retain_graph: true);
        Assert.Equal(new double[] { 2, 4, 6 }, x.grad!.ToArray<double>());
        y.backward();
        Assert.Equal(new double[] { 4, 8, 12 }, x.grad!.ToArray<double>());
        Assert.Throws<InvalidOperationException>(() => y.backward());
        var mid = x * 2.0;
        Assert.False(mid.is_leaf);
        Assert.Equal("MulBackward1", mid.grad_fn);
        mid.sum().backward();
        Assert.Null(mid.grad);
    }

    [Fact]
    public void BackwardWithExplicitGradientAndNonScalarGuard()
    {
        var x = tensor(new double[] { 1, 2, 3 }, requires_grad: true);
        var y = x * 3.0;
        Assert.Throws<InvalidOperationException>(() => y.backward());
        y.backward(tensor(new double[] { 1, 10, 100 }));
        Assert.Equal(new double[] { 3, 30, 300 }, x.grad!.ToArray<double>());
    }

    [Fact]
    public void NoGradScopesDetachAndInPlaceGuards()
    {
        var w = ones(3, requires_grad: true);
        using (no_grad())
        {
            var y = w * 2.0;
            Assert.False(y.requires_grad);
            Assert.False(is_grad_enabled());
            using (enable_grad())
            {
                Assert.True(is_grad_enabled());
            }
            w.add_(1.0);
        }
        Assert.True(is_grad_enabled());
        Assert.Equal(new float[] { 2, 2, 2 }, w.ToArray<float>());
        Assert.Throws<InvalidOperationException>(() => w.mul_(2.0));
        var d = w.detach();
        Assert.False(d.requires_grad);
        d.fill_(5);
        Assert.Equal(new float[] { 5, 5, 5 }, w.ToArray<float>());
        var nonLeaf = w * 1.0;
        Assert.Throws<InvalidOperationException>(() => nonLeaf.add_(1.0));
        var plain = zeros(3);
        Assert.Throws<InvalidOperationException>(() => plain.add_(w));
        Assert.Throws<InvalidOperationException>(() => arange(3).requires_grad_());
    }

    [Fact]
    public void OptimiserStyleInPlaceUpdatesMatchFormulas()
    {
        var p = tensor(new float[] { 1, 2 });
        var g = tensor(new float[] { 0.5f, -1 });
        var m = zeros(2);
        m.lerp_(g, 0.1);
        Assert.Equal(new float[] { 0.05f, -0.1f }, m.ToArray<float>());
        var v = zeros(2).addcmul_(g, g, 0.5);
        Assert.Equal(new float[] { 0.125f, 0.5f }, v.ToArray<float>());
        p.addcdiv_(g, tensor(new float[] { 2, 4 }), -2);
        Assert.Equal(new float[] { 0.5f, 2.5f }, p.ToArray<float>());
        p.clamp_(max: 1);
        Assert.Equal(new float[] { 0.5f, 1 }, p.ToArray<float>());
        p.sub_(g, 2).mul_(2).zero_();
        Assert.Equal(new float[] { 0, 0 }, p.ToArray<float>());
        var q = zeros(2, 3);
        q.t().copy_(tensor(new float[] { 1, 2 }, [1, 2]).expand(3, 2));
        Assert.Equal(new float[] { 1, 1, 1, 2, 2, 2 }, q.ToArray<float>());
    }

    [Fact]
    public void FusedUpdatesAgreeOnLargeAndStridedTensors()
    {
        var g = new Generator(2);
        int n = 300_000;
        var dst = randn([n], dtype: float64, generator: g);
        var a = randn([n], dtype: float64, generator: g);
        var b = rand([n], dtype: float64, generator: g).add(0.5);
        var d0 = dst.ToArray<double>();
        var av = a.ToArray<double>();
        var bv = b.ToArray<double>();
        dst.addcmul_(a, b, 0.3).addcdiv_(a, b, -0.7).lerp_(a, 0.25);
        var got = dst.ToArray<double>();
        for (int i = 0; i < n; i += 997)
        {
            double e = d0[i] + 0.3 * av[i] * bv[i] - 0.7 * av[i] / bv[i];
            e += 0.25 * (av[i] - e);
            Assert.Equal(e, got[i], 1e-12);
        }
        // Transposed destination and broadcast operand take the general path.
        var m = zeros(3, 2).t();
        m.addcmul_(ones(3), tensor(new float[] { 1, 2, 3 }), 2).lerp_(full([2, 3], 10), 0.5);
        Assert.Equal(new float[] { 6, 7, 8, 6, 7, 8 }, m.contiguous().ToArray<float>());
    }

    [Fact]
    public void GatherScatterIndexSelectValues()
    {
        var x = arange(6).reshape(2, 3).to(float32);
        Assert.Equal(new float[] { 2, 0, 3, 5 }, x.gather(1, tensor(new long[] { 2, 0, 0, 2 }, [2, 2])).ToArray<float>());
        var s = zeros(2, 3).scatter_add(1, tensor(new long[] { 1, 1, 0, 2 }, [2, 2]), ones(2, 2));
        Assert.Equal(new float[] { 0, 2, 0, 1, 0, 1 }, s.ToArray<float>());
        Assert.Equal(new float[] { 3, 4, 5, 0, 1, 2, 3, 4, 5 }, x.index_select(0, tensor(new long[] { 1, 0, 1 })).ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => x.index_select(0, tensor(new long[] { 2 })));
    }
}
