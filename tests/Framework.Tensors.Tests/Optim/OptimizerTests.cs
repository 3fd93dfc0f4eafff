using AlignFx.Tensors.Optim;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors.Tests.Optim;

/// <summary>Optimisers, schedules and gradient clipping against hand computations of PyTorch's formulas.</summary>
[Collection(Training.MemoryMeasurementCollection.Name)]
public sealed class OptimizerTests
{
    private static readonly double[] Start = [0.5, -1.5, 2.0, 0.0, -0.25];

    // A fixed gradient sequence per step (the loss is Σ c·p with c changing each step).
    private static double[] GradAt(int step) => [.. Start.Select((_, i) => Math.Sin(1 + i + 3 * step) * (i + 1))];

    private static Parameter NewParam(double[] values) => new(tensor(values, dtype: ScalarType.Float64));

    /// <summary>Makes this thread's optimiser steps and clipping take the tensor-operation path until disposed.</summary>
    private static DevicePath OnDevice(bool on) => new(on);

    private sealed class DevicePath : IDisposable
    {
        private readonly bool saved = Optimizer.TensorOpsForTests;

        public DevicePath(bool on) => Optimizer.TensorOpsForTests = on;

        public void Dispose() => Optimizer.TensorOpsForTests = saved;
    }

    private static void SetGrad(Parameter p, double[] g)
    {
        p.grad?.Dispose();
        p.grad = tensor(g).DetachFromDisposeScope();
    }

    // onDevice: the tensor-operation path that parameters in memory the host cannot read (a GPU's) take, run on the CPU.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdamW_follows_pytorch_formulas_over_several_steps_with_param_groups(bool onDevice)
    {
        using var path = OnDevice(onDevice);
        var a = NewParam(Start);
        var b = NewParam(Start);
        using var opt = optim.AdamW([new ParamGroup([a]), new ParamGroup([b], lr: 0.05, weight_decay: 0)],
            lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-3, weight_decay: 0.1);
        Assert.Equal(0.01, opt.param_groups[0].lr);
        Assert.Equal(0.05, opt.param_groups[1].lr);

        double[] pa = [.. Start], pb = [.. Start];
        double[] ma = new double[5], va = new double[5], mb = new double[5], vb = new double[5];
        for (int step = 1; step <= 4; step++)
        {
            var g = GradAt(step);
            SetGrad(a, g);
            SetGrad(b, g);
            opt.step();
            Reference(pa, ma, va, g, step, lr: 0.01, wd: 0.1);
            Reference(pb, mb, vb, g, step, lr: 0.05, wd: 0);
            AssertAll(pa, a.data.ToArray<double>(), 1e-14);
            AssertAll(pb, b.data.ToArray<double>(), 1e-14);
            Assert.Equal(step, opt.step_count(a));
        }

        static void Reference(double[] p, double[] m, double[] v, double[] g, int t, double lr, double wd)
        {
            for (int i = 0; i < p.Length; i++)
            {
                p[i] *= 1 - lr * wd;
                m[i] = 0.8 * m[i] + 0.2 * g[i];
                v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(0.8, t));
                double vHat = v[i] / (1 - Math.Pow(0.99, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + 1e-3);
            }
        }
    }

    [Theory]
    [InlineData(0.0, 0.0, false, 0.0, false)]
    [InlineData(0.9, 0.0, false, 0.01, false)]
    [InlineData(0.9, 0.3, false, 0.0, false)]
    [InlineData(0.9, 0.0, true, 0.05, false)]
    [InlineData(0.0, 0.0, false, 0.0, true)]
    [InlineData(0.9, 0.0, false, 0.01, true)]
    [InlineData(0.9, 0.3, false, 0.0, true)]
    [InlineData(0.9, 0.0, true, 0.05, true)]
    public void SGD_follows_pytorch_formulas(double momentum, double dampening, bool nesterov, double wd, bool onDevice)
    {
        using var path = OnDevice(onDevice);
        var p = NewParam(Start);
        using var opt = optim.SGD([p], lr: 0.1, momentum: momentum, dampening: dampening, weight_decay: wd, nesterov: nesterov);
        double[] x = [.. Start];
        double[] buf = new double[5];
        for (int step = 1; step <= 4; step++)
        {
            var g = GradAt(step);
            SetGrad(p, g);
            opt.step();
            for (int i = 0; i < x.Length; i++)
            {
                double d = g[i] + wd * x[i];
                if (momentum != 0)
                {
                    buf[i] = step == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                x[i] -= 0.1 * d;
            }
            AssertAll(x, p.data.ToArray<double>(), 1e-14);
        }
    }

    [Fact]
    public void Parameters_without_gradients_are_left_alone_and_zero_grad_clears()
    {
        var p = NewParam(Start);
        var q = NewParam(Start);
        using var opt = optim.AdamW([p, q], lr: 0.1);
        SetGrad(p, GradAt(1));
        opt.step();
        Assert.Equal(Start, q.data.ToArray<double>());
        Assert.NotEqual(Start, p.data.ToArray<double>());
        Assert.Equal(0, opt.step_count(q));
        opt.zero_grad(set_to_none: false);
        Assert.All(p.grad!.ToArray<double>(), v => Assert.Equal(0.0, v));
        opt.zero_grad();
        Assert.Null(p.grad);
        Assert.Throws<ArgumentException>(() => optim.SGD([p, p], lr: 0.1));
        Assert.Throws<ArgumentException>(() => optim.SGD([p], lr: 0.1, nesterov: true));
    }

    [Fact]
    public void Steady_state_steps_allocate_no_tensor_storage_and_almost_no_managed_memory()
    {
        var ps = Enumerable.Range(0, 8).Select(i => new Parameter(randn([64, 64], generator: new Generator(i)))).ToList();
        foreach (var p in ps)
        {
            p.grad = randn([64, 64], generator: new Generator(100)).DetachFromDisposeScope();
        }
        using var adam = optim.AdamW(ps, lr: 1e-3);
        using var sgd = optim.SGD(ps, lr: 1e-3, momentum: 0.9);
        adam.step();
        sgd.step();
        long storage = StoragePools.TotalAllocations;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            adam.step();
            sgd.step();
            utils.clip_grad_norm_(ps, 1e9);
        }
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
        Assert.Equal(storage, StoragePools.TotalAllocations);
        // 8 parameters of 16 KiB each: a per-step copy of anything would be far above this.
        Assert.True(perStep < 4096, $"{perStep} bytes allocated per step");
    }

    [Fact]
    public void Schedules_match_their_closed_forms()
    {
        var p = NewParam(Start);
        using var opt = optim.SGD([p], lr: 0.2);
        var linear = optim.lr_scheduler.WarmupLinear(opt, warmup_steps: 4, total_steps: 14, final_factor: 0.1);
        for (int s = 0; s <= 20; s++)
        {
            double expected = s < 4 ? 0.2 * (s + 1) / 4 : s >= 14 ? 0.02 : 0.2 * (1 - 0.9 * (s - 4) / 10.0);
            Assert.Equal(expected, opt.param_groups[0].lr, 1e-15);
            Assert.Equal(s, linear.last_epoch);
            linear.step();
        }

        using var opt2 = optim.SGD([NewParam(Start)], lr: 1.0);
        var cosine = optim.lr_scheduler.WarmupCosine(opt2, warmup_steps: 2, total_steps: 10);
        double[] expectedCos = [0.5, 1, 1, 0.5 * (1 + Math.Cos(Math.PI / 8)), 0.5 * (1 + Math.Cos(Math.PI / 4))];
        foreach (double e in expectedCos)
        {
            Assert.Equal(e, cosine.get_last_lr()[0], 1e-15);
            cosine.step();
        }
        for (int s = 5; s < 10; s++)
        {
            cosine.step();
        }
        Assert.Equal(0, cosine.get_last_lr()[0], 1e-15);

        using var opt3 = optim.SGD([NewParam(Start)], lr: 0.5);
        var lambda = optim.lr_scheduler.LambdaLR(opt3, s => Math.Pow(0.5, s));
        lambda.step();
        lambda.step();
        Assert.Equal(0.125, opt3.param_groups[0].lr);
        Assert.Equal(0.5, opt3.param_groups[0].initial_lr);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Clip_grad_norm_matches_a_hand_computation(bool onDevice)
    {
        using var path = OnDevice(onDevice);
        var a = NewParam([0, 0, 0]);
        var b = NewParam([0, 0]);
        var none = NewParam([0]);
        SetGrad(a, [3, 0, -4]);
        SetGrad(b, [12, 0]);
        // ‖(‖(3, 0, -4)‖, ‖(12, 0)‖)‖ = ‖(5, 12)‖ = 13.
        double total = utils.clip_grad_norm_([a, b, none], max_norm: 6.5);
        Assert.Equal(13, total, 1e-12);
        double coef = 6.5 / (13 + 1e-6);
        AssertAll([3 * coef, 0, -4 * coef], a.grad!.ToArray<double>(), 1e-15);
        AssertAll([12 * coef, 0], b.grad!.ToArray<double>(), 1e-15);

        // Below the limit nothing changes; the infinity norm is the largest magnitude.
        Assert.Equal(13 * coef, utils.clip_grad_norm_([a, b], max_norm: 100), 1e-9);
        AssertAll([12 * coef, 0], b.grad!.ToArray<double>(), 0);
        Assert.Equal(12 * coef, utils.clip_grad_norm_([a, b], max_norm: 100, norm_type: double.PositiveInfinity), 1e-12);
        Assert.Equal(Math.Pow(Math.Pow(3 * coef, 1.5) + Math.Pow(4 * coef, 1.5) + Math.Pow(12 * coef, 1.5), 1 / 1.5),
            utils.clip_grad_norm_([a, b], max_norm: 100, norm_type: 1.5), 1e-12);

        SetGrad(a, [3, double.NaN, 1]);
        Assert.Throws<InvalidOperationException>(() => utils.clip_grad_norm_([a], 1, error_if_nonfinite: true));
        SetGrad(a, [3, -0.5, 1]);
        utils.clip_grad_value_([a], 0.75);
        Assert.Equal([0.75, -0.5, 0.75], a.grad!.ToArray<double>());
    }

    private static void AssertAll(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"[{i}] expected {expected[i]} got {actual[i]}");
        }
    }
}
