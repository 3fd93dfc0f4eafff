using System.Globalization;
using AlignFx.Tensors.Optim;
using static AlignFx.Tensors.torch;
using F = AlignFx.Tensors.torch.nn.functional;

namespace AlignFx.Benchmarks;

/// <summary>
/// The managed backend's tiled fused attention against the composed path (matmul, fused scaled causal softmax, matmul)
/// at T = 64, 256, 1024 (causal, head size 32, 4 heads; batch 32, 8, 2), forward alone and forward + backward, timed in
/// interleaved rounds in one process; and an AdamW update on 2 threads against 1 for the optimisers' threading threshold.
/// ours = fused (or 2 threads), peer = composed (or 1 thread); values are ms (µs for AdamW), ratio = ours / peer.
/// </summary>
internal sealed class AttentionBenchmark : IBenchmarkSuite
{
    public string Name => "attention";

    public string Description => "managed fused attention vs composed at T = 64, 256, 1024; one head at T = 2048 and AdamW updates on 2 threads vs 1";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        int threads = settings.SingleThread ? 1 : 2;
        set_num_threads(threads);
        output.WriteLine(Format($"# attention: causal, 4 heads of 32, float32, {threads} threads; ours = fused tiled kernel, peer = composed; {(settings.UseMinimum ? "fastest" : "median")} of {settings.Rounds} interleaved rounds"));
        foreach (var (t, batch) in new[] { (64, 32), (256, 8), (1024, 2) })
        {
            var g = new Generator(t);
            using var q = randn([batch, 4, t, 32], generator: g).requires_grad_();
            using var k = randn([batch, 4, t, 32], generator: g).requires_grad_();
            using var v = randn([batch, 4, t, 32], generator: g).requires_grad_();
            Action Step(bool fused, bool backward) => () =>
            {
                using var scope = NewDisposeScope();
                if (!backward)
                {
                    using var noGrad = no_grad();
                    _ = F.scaled_dot_product_attention(q, k, v, is_causal: true, fused: fused);
                    return;
                }
                q.grad = k.grad = v.grad = null;
                var y = F.scaled_dot_product_attention(q, k, v, is_causal: true, fused: fused);
                y.sum().backward();
            };
            foreach (bool backward in new[] { false, true })
            {
                string name = $"attention_T{t}_{(backward ? "fwd_bwd" : "fwd")}_ms";
                if (!settings.Includes(name))
                {
                    continue;
                }
                var s = Measure.Seconds(settings.Rounds, settings.UseMinimum, Step(true, backward), Step(false, backward));
                output.WriteLine(Format($"{name} ours={s[0] * 1e3:F3} peer={s[1] * 1e3:F3} ratio={s[0] / s[1]:F3}"));
            }
        }
        const string single = "attention_1x2048_fwd_bwd_2threads_ms";
        if (settings.Includes(single))
        {
            // One sequence of one head: fewer batch-heads than threads, so the fused backward splits by tiles.
            var g = new Generator(2048);
            using var q = randn([1, 1, 2048, 32], generator: g).requires_grad_();
            using var k = randn([1, 1, 2048, 32], generator: g).requires_grad_();
            using var v = randn([1, 1, 2048, 32], generator: g).requires_grad_();
            Action Step(int workers) => () =>
            {
                set_num_threads(workers);
                using var scope = NewDisposeScope();
                q.grad = k.grad = v.grad = null;
                F.scaled_dot_product_attention(q, k, v, is_causal: true, fused: true).sum().backward();
            };
            var s = Measure.Seconds(settings.Rounds, settings.UseMinimum, Step(2), Step(1));
            output.WriteLine(Format($"{single} ours={s[0] * 1e3:F3} peer={s[1] * 1e3:F3} ratio={s[0] / s[1]:F3}"));
        }
        foreach (int n in new[] { 16_384, 32_768, 65_536, 262_144 })
        {
            string name = $"adamw_update_{n}_us";
            if (!settings.Includes(name))
            {
                continue;
            }
            using var p = new nn.Parameter(randn([n], generator: new Generator(n)));
            p.grad = randn([n], generator: new Generator(n + 1));
            using var opt = optim.AdamW([p], lr: 1e-5);
            Action Update(int workers) => () =>
            {
                set_num_threads(workers);
                opt.step();
            };
            // Below the grain the update stays on one thread whatever the setting: force the split to time it.
            var s = Measure.Seconds(settings.Rounds, settings.UseMinimum, ForcedSplit(Update(2)), Update(1));
            output.WriteLine(Format($"{name} ours={s[0] * 1e6:F2} peer={s[1] * 1e6:F2} ratio={s[0] / s[1]:F3}"));
        }
        set_num_threads(threads);
        return 0;
    }

    private static Action ForcedSplit(Action update) => () =>
    {
        Optimizer.ForceSplitForBenchmark = true;
        try
        {
            update();
        }
        finally
        {
            Optimizer.ForceSplitForBenchmark = false;
        }
    };

    private static string Format(FormattableString line) => line.ToString(CultureInfo.InvariantCulture);
}
