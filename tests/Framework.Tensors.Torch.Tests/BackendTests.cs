using AlignFx.Tensors.Torch;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Torch.Tests;

/// <summary>What the torch backend adds beyond the shared suite (which this assembly runs with torch:cpu as default).</summary>
public sealed class BackendTests
{
    [Fact]
    public void Tensors_created_without_a_device_in_this_assembly_live_in_libtorch_storage()
    {
        var x = randn(3, 4);
        Assert.Equal("torch:cpu", x.device.ToString());
        Assert.IsType<TorchStorage>(x.Storage);
        Assert.Equal(TorchBackends.Cpu, device("torch:cpu"));
        Assert.NotEqual(CPU, TorchBackends.Cpu);
    }

    [Fact]
    public void Moving_between_the_managed_and_torch_backends_keeps_values_and_gradients_flow_back()
    {
        var host = tensor(new float[] { 1, -2, 3, 4, 5, -6 }, [2, 3]).to(CPU).requires_grad_();
        Assert.Equal(CPU, host.device);
        var moved = host.to(TorchBackends.Cpu);
        var y = (moved * moved).sum();
        y.backward();

        Assert.Equal(host.ToArray<float>(), moved.ToArray<float>());
        Assert.Equal(new float[] { 2, -4, 6, 8, 10, -12 }, host.grad!.ToArray<float>());
        Assert.Equal(CPU, host.grad!.device);
    }

    [Fact]
    public void A_view_of_a_torch_tensor_is_a_strided_view_of_the_same_libtorch_storage()
    {
        var x = arange(12, dtype: float32).reshape(3, 4);
        var t = x.t();
        t.narrow(0, 1, 1).fill_(-1);
        Assert.Same(x.Storage, t.Storage);
        Assert.Equal(new float[] { 0, -1, 2, 3, 4, -1, 6, 7, 8, -1, 10, 11 }, x.ToArray<float>());
    }

    [Fact]
    public void A_seed_gives_the_same_draws_on_both_backends()
    {
        var onTorch = randn([5, 7], generator: new Generator(3));
        var managed = randn([5, 7], device: CPU, generator: new Generator(3));
        Assert.Equal(managed.ToArray<float>(), onTorch.ToArray<float>());
    }

    [Fact]
    public void Unknown_or_unavailable_devices_are_refused_with_the_names_that_exist()
    {
        var e = Assert.Throws<NotSupportedException>(() => device("tpu"));
        Assert.Contains("'cpu', 'torch:cpu' and 'cuda[:n]'", e.Message);
        if (!TorchSharp.torch.cuda.is_available())
        {
            var c = Assert.Throws<NotSupportedException>(() => device("cuda:0"));
            Assert.Contains("no CUDA device", c.Message);
        }
    }

    [Theory]
    [InlineData(6, 6)]
    [InlineData(3, 7)]
    public void Fused_attention_matches_the_managed_composition_forward_and_backward_with_a_causal_kv_prefix(int tq, int tk)
    {
        var g = new Generator(11);
        var qm = randn([2, 3, tq, 8], device: CPU, generator: g).requires_grad_();
        var km = randn([2, 3, tk, 8], device: CPU, generator: g).requires_grad_();
        var vm = randn([2, 3, tk, 8], device: CPU, generator: g).requires_grad_();
        var wm = randn([2, 3, tq, 8], device: CPU, generator: g);
        (nn.functional.scaled_dot_product_attention(qm, km, vm, is_causal: true) * wm).sum().backward();

        var qt = qm.detach().to(TorchBackends.Cpu).requires_grad_();
        var kt = km.detach().to(TorchBackends.Cpu).requires_grad_();
        var vt = vm.detach().to(TorchBackends.Cpu).requires_grad_();
        var yt = nn.functional.scaled_dot_product_attention(qt, kt, vt, is_causal: true);
        (yt * wm.to(TorchBackends.Cpu)).sum().backward();

        Assert.Equal("ScaledDotProductAttentionBackward0", yt.grad_fn);
        using (no_grad())
        {
            var ym = nn.functional.scaled_dot_product_attention(qm, km, vm, is_causal: true);
            AssertClose(ym, yt);
        }
        AssertClose(qm.grad!, qt.grad!);
        AssertClose(km.grad!, kt.grad!);
        AssertClose(vm.grad!, vt.grad!);
    }

    [Fact]
    public void Bounds_and_fills_beyond_float_range_saturate_as_on_the_managed_backend()
    {
        var x = tensor(new float[] { -3, 0.5f, 7 });
        Assert.Equal(new float[] { -3, 0.5f, 7 }, x.clamp(double.MinValue, double.MaxValue).ToArray<float>());
        Assert.Equal(new float[] { -3, 0.5f, 1 }, x.clamp(max: 1).ToArray<float>());
        Assert.Equal(float.PositiveInfinity, full([2], double.MaxValue).ToArray<float>()[0]);
        Assert.Equal(float.NegativeInfinity, x.masked_fill(x.lt(0), double.MinValue).ToArray<float>()[0]);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        float[] e = expected.ToArray<float>(), a = actual.ToArray<float>();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5f * (1 + Math.Abs(e[i])), $"element {i}: {e[i]} vs {a[i]}");
        }
    }
}
