using AlignFx.Reference;
using System.Diagnostics;
using System.Globalization;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Benchmarks;

/// <summary>
/// Where the tiny GPT's forward (torch-peer's <c>forward_ms[managed]</c>: forward + loss under no_grad, batch 32,
/// T 64) spends its time: the same forward rebuilt op by op from the model's parameters, each op group timed with a
/// stopwatch, summed over many passes. The replica's loss equals the model's (checked), and the sum of the groups
/// is printed beside the plain forward's time so the timer overhead shows.
/// </summary>
internal sealed class ForwardProfileBenchmark : IBenchmarkSuite
{
    private const int Batch = 32;

    public string Name => "forward-profile";

    public string Description => "tiny-GPT forward (torch-peer's forward_ms[managed]) broken down by op group";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        var config = TorchPeerBenchmark.Config;
        int threads = settings.SingleThread ? 1 : 2;
        set_num_threads(threads);
        var generator = new Generator(0);
        using var model = new TinyGpt(config, ScalarType.Float32, generator);
        using var inputs = randint(0, config.vocab, [Batch, config.context], generator: generator).DetachFromDisposeScope();
        using var targets = randint(0, config.vocab, [Batch, config.context], generator: generator).DetachFromDisposeScope();
        var p = model.state_dict();
        var groups = new Dictionary<string, double>(StringComparer.Ordinal);
        var order = new List<string>();

        Tensor Timed(string group, Func<Tensor> op)
        {
            long t0 = Stopwatch.GetTimestamp();
            var r = op();
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (!groups.TryAdd(group, ms))
            {
                groups[group] += ms;
            }
            else
            {
                order.Add(group);
            }
            return r;
        }

        float Replica()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            long b = Batch, t = config.context, d = config.d_model, h = config.heads, hd = d / h;
            var x = Timed("embedding + position add", () =>
            {
                using var pos = arange(0, t, dtype: ScalarType.Int64);
                using var tok = functional.embedding(inputs, p["tok_emb.weight"]);
                using var pe = functional.embedding(pos, p["pos_emb.weight"]);
                return tok + pe;
            });
            for (int i = 0; i < config.layers; i++)
            {
                string pre = $"blocks.{i}.";
                var a = Timed("layer_norm", () => functional.layer_norm(x, [d], p[pre + "ln1.weight"], p[pre + "ln1.bias"], 1e-5));
                var qkv = Timed("linear qkv (2048x384x128)", () => functional.linear(a, p[pre + "attn.qkv.weight"], p[pre + "attn.qkv.bias"]));
                Tensor[] split = [];
                Tensor q = null!, k = null!, v = null!;
                Timed("head views (split/view/transpose)", () =>
                {
                    split = qkv.split(d, 2);
                    q = split[0].reshape(b, t, h, hd).transpose(1, 2);
                    k = split[1].reshape(b, t, h, hd).transpose(1, 2);
                    v = split[2].reshape(b, t, h, hd).transpose(1, 2);
                    return q;
                });
                var scores = Timed("attention q k^T (batched GEMM)", () => { using var kt = k.transpose(-2, -1); return q.matmul(kt); });
                var probs = Timed("attention scale+mask+softmax", () => scores.ScaledSoftmax(1.0 / Math.Sqrt(hd), true));
                var y = Timed("attention p v (batched GEMM)", () => probs.matmul(v));
                var merged = Timed("head merge (transpose+reshape copy)", () => { using var yt = y.transpose(1, 2); return yt.reshape(b, t, d); });
                var at = Timed("linear attn.proj (2048x128x128)", () => functional.linear(merged, p[pre + "attn.proj.weight"], p[pre + "attn.proj.bias"]));
                var x1 = Timed("residual add", () => x + at);
                var bn = Timed("layer_norm", () => functional.layer_norm(x1, [d], p[pre + "ln2.weight"], p[pre + "ln2.bias"], 1e-5));
                var fc = Timed("linear mlp.fc (2048x512x128)", () => functional.linear(bn, p[pre + "mlp.fc.weight"], p[pre + "mlp.fc.bias"]));
                var g = Timed("gelu (2048x512)", () => fc.gelu());
                var m = Timed("linear mlp.proj (2048x128x512)", () => functional.linear(g, p[pre + "mlp.proj.weight"], p[pre + "mlp.proj.bias"]));
                x = Timed("residual add", () => x1 + m);
                Timed("dispose intermediates", () =>
                {
                    foreach (var z in (Tensor[])[a, qkv, q, k, v, scores, probs, y, merged, at, x1, bn, fc, g, m, .. split])
                    {
                        z.Dispose();
                    }
                    return x;
                });
            }
            var hf = Timed("layer_norm", () => functional.layer_norm(x, [d], p["ln_f.weight"], p["ln_f.bias"], 1e-5));
            var logits = Timed("linear lm_head (2048x64x128, no bias)", () => functional.linear(hf, p["lm_head.weight"]));
            var loss = Timed("cross-entropy", () => LmLoss.Compute(logits, targets));
            return loss.item<float>();
        }

        float Model()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return LmLoss.Compute(model.forward(inputs), targets).item<float>();
        }

        float expected = Model();
        float got = Replica();
        output.WriteLine(Format($"# forward-profile: tiny GPT {config}, batch {Batch}, {threads} threads; loss model {expected:R} replica {got:R}{(expected == got ? "" : " (DIFFERENT)")}"));
        for (int i = 0; i < 10; i++)
        {
            Replica();
            Model();
        }
        groups.Clear();
        order.Clear();
        int passes = Math.Max(20, settings.Rounds * 10);
        var modelMs = new List<double>();
        var replicaMs = new List<double>();
        for (int i = 0; i < passes; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Model();
            modelMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            t0 = Stopwatch.GetTimestamp();
            Replica();
            replicaMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        modelMs.Sort();
        replicaMs.Sort();
        double total = groups.Values.Sum() / passes;
        output.WriteLine(Format($"# {passes} passes; model forward median {modelMs[passes / 2]:F2} ms, replica median {replicaMs[passes / 2]:F2} ms, sum of groups (mean) {total:F2} ms"));
        foreach (var name in order.OrderByDescending(n => groups[n]))
        {
            double ms = groups[name] / passes;
            output.WriteLine(Format($"forward_group {ms,7:F3} ms {100 * ms / total,5:F1}%  {name}"));
        }
        KernelComparisons(output, settings.Rounds);
        return 0;
    }

    /// <summary>
    /// Same-process A/B of the rewritten forward kernels against the former ones, at the tiny GPT's shapes (one
    /// layer's worth): GELU over [2048, 512] (fused vs the former TensorPrimitives chain), and attention's p·v
    /// product followed by the head merge (heads-last product + view vs matmul + strided copy). Interleaved rounds,
    /// medians, one thread for GELU.
    /// </summary>
    private static void KernelComparisons(TextWriter output, int rounds)
    {
        var x = randn([2048 * 512], generator: new Generator(1)).ToArray<float>();
        var d = new float[x.Length];
        Action fused = () => Tensors.Backends.Cpu.GeluKernels.ErfForward(x, d);
        Action former = () => Tensors.Backends.Cpu.GeluKernels.ErfForwardReference(x, d);
        double[] gelu = Measure.Seconds(rounds, false, fused, former);
        output.WriteLine(Format($"gelu_2048x512_us ours={gelu[0] * 1e6:F1} peer={gelu[1] * 1e6:F1} ratio={gelu[0] / gelu[1]:F3}  (peer = the former kernel, same process)"));

        using var qkv = randn([32, 64, 384], generator: new Generator(2)).DetachFromDisposeScope();
        using var probs = randn([32, 4, 64, 64], generator: new Generator(3)).softmax(-1).DetachFromDisposeScope();
        Action headsLast = () =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var v = qkv.split(128, 2)[2].reshape(32, 64, 4, 32).transpose(1, 2);
            _ = probs.MatMulHeadsLast(v).transpose(1, 2).reshape(32, 64, 128);
        };
        Action copy = () =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var v = qkv.split(128, 2)[2].reshape(32, 64, 4, 32).transpose(1, 2);
            _ = probs.matmul(v).transpose(1, 2).reshape(32, 64, 128);
        };
        double[] pv = Measure.Seconds(rounds, false, headsLast, copy);
        output.WriteLine(Format($"attention_pv_and_merge_us ours={pv[0] * 1e6:F1} peer={pv[1] * 1e6:F1} ratio={pv[0] / pv[1]:F3}  (peer = matmul + strided copy, same process)"));
    }

    private static string Format(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
