using static AlignFx.Tensors.torch;
using F = AlignFx.Tensors.torch.nn.functional;

namespace AlignFx.Tensors.Tests.Core;

[CollectionDefinition("StoragePool", DisableParallelization = true)]
public class StoragePoolCollection
{
}

/// <summary>Dispose scopes return buffers to the pool, so a training loop allocates no storage in steady state.</summary>
[Collection("StoragePool")]
public class DisposeScopeTests
{
    [Fact]
    public void ScopeDisposesItsTensorsExceptThoseMovedOut()
    {
        Tensor kept, lost, detached;
        using (var outer = NewDisposeScope())
        {
            using (var scope = NewDisposeScope())
            {
                lost = ones(3);
                kept = scope.MoveToOuter(ones(3) * 2.0);
                detached = zeros(2).DetachFromDisposeScope();
            }
            Assert.True(lost.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(new float[] { 2, 2, 2 }, kept.ToArray<float>());
            Assert.Equal(1, outer.Count);
        }
        Assert.True(kept.IsDisposed);
        Assert.False(detached.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => lost.ToArray<float>());
    }

    [Fact]
    public void ViewsKeepStorageAliveUntilTheLastReferenceGoes()
    {
        var x = arange(6).to(float32);
        var v = x.view(2, 3);
        x.Dispose();
        Assert.Equal(15f, v.sum().item<float>());
        v.Dispose();
    }

    [Fact]
    public void BackwardWorksAfterIntermediatesAreDisposed()
    {
        var w = tensor(new double[] { 1, 2, 3 }, requires_grad: true);
        Tensor loss;
        using (var scope = NewDisposeScope())
        {
            var h = w.exp();
            var y = h * h;
            loss = scope.MoveToOuter(y.sum());
        }
        loss.backward();
        var expected = new[] { 1.0, 2, 3 }.Select(v => 2 * Math.Exp(2 * v)).ToArray();
        var got = w.grad!.ToArray<double>();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i], got[i], expected[i] * 1e-12);
        }
    }

    [Fact]
    public void TrainingLoopInAScopeAllocatesNoStorageAfterWarmUp()
    {
        var g = new Generator(3);
        var w1 = (randn([32, 16], generator: g) * 0.2).requires_grad_();
        var b1 = zeros([32], requires_grad: true);
        var ln = ones([32], requires_grad: true);
        var w2 = (randn([8, 32], generator: g) * 0.2).requires_grad_();
        var parameters = new[] { w1, b1, ln, w2 };
        var x = randn([4, 6, 16], generator: g);
        var target = randint(8, [4, 6], generator: g);
        float first = 0, last = 0;

        void Step(int i)
        {
            using var scope = NewDisposeScope();
            var h = F.gelu(F.linear(x, w1, b1));
            h = F.dropout(F.layer_norm(h, [32], ln), 0.1, generator: g);
            var q = h.view(4, 6, 4, 8).transpose(1, 2);
            var att = F.scaled_dot_product_attention(q, q, q, is_causal: true).transpose(1, 2).reshape(4, 6, 32);
            var logits = F.linear(att + h, w2);
            var loss = F.cross_entropy(logits.view(-1, 8), target.view(-1), label_smoothing: 0.1);
            loss.backward();
            using (no_grad())
            {
                foreach (var p in parameters)
                {
                    p.add_(p.grad!, alpha: -0.5);
                    p.grad!.zero_();
                }
            }
            if (i == 0)
            {
                first = loss.item<float>();
            }
            last = loss.item<float>();
        }

        for (int i = 0; i < 3; i++)
        {
            Step(i);
        }
        long before = StoragePools.TotalAllocations;
        for (int i = 3; i < 30; i++)
        {
            Step(i);
        }
        Assert.Equal(before, StoragePools.TotalAllocations);
        Assert.True(last < first, $"loss went from {first} to {last}");
    }
}
