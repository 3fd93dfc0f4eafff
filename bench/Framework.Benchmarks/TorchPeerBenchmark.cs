using System.Diagnostics;
using System.Globalization;
using AlignFx.Reference;
using AlignFx.Tensors.Optim;
using AlignFx.Tensors.Torch;
using static AlignFx.Tensors.torch;
using TS = TorchSharp.torch;

namespace AlignFx.Benchmarks;

/// <summary>
/// Figures on three implementations, each in its own process: our managed backend, our torch:cpu backend, and the
/// same models written directly in TorchSharp (the peer). The tiny GPT of issue 2 (training step, forward); the
/// quickstart's policy shape (PPO's clipped-surrogate update step, KV-cache sampling); a 1024³ GEMM. The coordinator
/// starts one worker per implementation; every round asks each worker in turn for a timed batch (interleaved, so slow
/// drifts of the machine hit all three alike) and reports medians. All start from the same weights and batch; each
/// worker's first loss is printed so they can be compared. Values are ms per call; ratio = ours / peer.
/// </summary>
internal sealed class TorchPeerBenchmark : IBenchmarkSuite
{
    internal static readonly GptConfig Config = new(vocab: 64, context: 64, d_model: 128, heads: 4, layers: 4);
    internal const int Batch = 32;

    /// <summary>The quickstart policy's shape (gpt 2 layers, d 96, 4 heads) with the tiny GPT's vocabulary and context.</summary>
    internal static readonly GptConfig Quickstart = new(vocab: 64, context: 64, d_model: 96, heads: 4, layers: 2);

    /// <summary>PPO's batch (the quickstart's batchSize) and the prompt length masked out of its loss.</summary>
    internal const int PpoBatch = 64, PromptLength = 16;

    /// <summary>Sampling: PpoBatch prompts of PromptLength tokens, this many new tokens each, temperature 1, KV cache.</summary>
    internal const int NewTokens = 48;

    internal const int GemmSize = 1024;
    private static readonly string[] Figures = ["train_step_ms", "forward_ms", "ppo_step_ms", "sample_ms", "gemm_1024_ms"];
    private const int WarmupSteps = 10;
    internal const string WorkerCommand = "torch-peer-worker";
    private static readonly string[] Implementations = ["managed", "torch:cpu", "torchsharp"];

    public string Name => "torch-peer";

    public string Description => "tiny-GPT training step and forward, PPO step and KV-cache sampling on the quickstart shape, GEMM: managed and torch:cpu backends vs TorchSharp written directly (separate processes)";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        int threads = settings.SingleThread ? 1 : 2;
        output.WriteLine(Format($"# torch-peer: tiny GPT {Config}, batch {Batch}, float32, {threads} threads per process; values are ms ({(settings.UseMinimum ? "fastest" : "median")} of {settings.Rounds} interleaved rounds after {WarmupSteps} warm-up steps); peer = TorchSharp {TS.__version__} written directly"));
        output.WriteLine(Format($"# ppo_step_ms: quickstart shape {Quickstart}, batch {PpoBatch}, clipped surrogate over the tokens after a {PromptLength}-token prompt, grad-norm clip 1, AdamW; sample_ms: {PpoBatch} prompts x {NewTokens} new tokens at temperature 1 with the KV cache ({PpoBatch * NewTokens} tokens per call); gemm_1024_ms: one {GemmSize}^3 float32 matmul"));
        var workers = new List<Worker>();
        try
        {
            foreach (var impl in Implementations)
            {
                workers.Add(Worker.Start(impl, threads));
            }
            foreach (var w in workers)
            {
                output.WriteLine($"# {w.Implementation}: {w.Greeting}");
            }
            string[] figures = [.. Figures.Where(settings.Includes)];
            var samples = workers.ToDictionary(w => w.Implementation, _ => figures.ToDictionary(f => f, _ => new List<double>()));
            var batch = figures.ToDictionary(f => f, f => workers.ToDictionary(w => w.Implementation, w => w.Size(f)));
            for (int r = 0; r < settings.Rounds; r++)
            {
                foreach (var f in figures)
                {
                    foreach (var w in workers)
                    {
                        Thread.Sleep(150);
                        samples[w.Implementation][f].Add(w.Time(f, batch[f][w.Implementation]));
                    }
                }
            }
            foreach (var f in figures)
            {
                double peer = Stat(samples["torchsharp"][f], settings.UseMinimum);
                foreach (var impl in new[] { "managed", "torch:cpu" })
                {
                    double ours = Stat(samples[impl][f], settings.UseMinimum);
                    output.WriteLine(Format($"{f}[{impl}] ours={ours:F2} peer={peer:F2} ratio={ours / peer:F3}"));
                }
            }
            return 0;
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Dispose();
            }
        }
    }

    private static double Stat(List<double> values, bool minimum)
    {
        var sorted = values.Order().ToArray();
        return minimum ? sorted[0] : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Format(FormattableString line) => line.ToString(CultureInfo.InvariantCulture);

    /// <summary>A worker process: one implementation, answering "size FIGURE" and "time FIGURE N" lines.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly Process process;

        private Worker(string implementation, Process process, string greeting)
        {
            Implementation = implementation;
            this.process = process;
            Greeting = greeting;
        }

        public string Implementation { get; }

        public string Greeting { get; }

        public static Worker Start(string implementation, int threads)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add(typeof(TorchPeerBenchmark).Assembly.Location);
            info.ArgumentList.Add(WorkerCommand);
            info.ArgumentList.Add(implementation);
            info.ArgumentList.Add(threads.ToString(CultureInfo.InvariantCulture));
            var process = Process.Start(info)!;
            string greeting = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"worker {implementation} exited");
            return new Worker(implementation, process, greeting);
        }

        private string Ask(string line)
        {
            process.StandardInput.WriteLine(line);
            process.StandardInput.Flush();
            return process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"worker {Implementation} exited");
        }

        /// <summary>Calls per timed batch (about 0.3 s).</summary>
        public int Size(string figure) => int.Parse(Ask($"size {figure}"), CultureInfo.InvariantCulture);

        /// <summary>Milliseconds per call over a batch of n calls.</summary>
        public double Time(string figure, int n) => double.Parse(Ask($"time {figure} {n}"), CultureInfo.InvariantCulture);

        public void Dispose()
        {
            try
            {
                process.StandardInput.WriteLine("quit");
                process.StandardInput.Flush();
                if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (IOException)
            {
            }
            process.Dispose();
        }
    }

    /// <summary>The worker side: builds the implementation, prints one greeting line, then answers the coordinator.</summary>
    internal static int Serve(string implementation, int threads)
    {
        var (figures, firstLoss) = Build(implementation, threads);
        Console.WriteLine(Format($"first loss {firstLoss:F6}, {threads} threads"));
        foreach (Action figure in figures.Values)
        {
            for (int i = 0; i < WarmupSteps; i++)
            {
                figure();
            }
        }
        Action Of(string figure) => figures[figure];
        string? line;
        while ((line = Console.ReadLine()) is not null && line != "quit")
        {
            var parts = line.Split(' ');
            if (parts[0] == "size")
            {
                var a = Of(parts[1]);
                long t0 = Stopwatch.GetTimestamp();
                a();
                double once = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                Console.WriteLine(((int)Math.Clamp(0.3 / Math.Max(once, 1e-6), 1, 1000)).ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                var a = Of(parts[1]);
                int n = int.Parse(parts[2], CultureInfo.InvariantCulture);
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    a();
                }
                Console.WriteLine((Stopwatch.GetElapsedTime(t0).TotalMilliseconds / n).ToString("R", CultureInfo.InvariantCulture));
            }
        }
        return 0;
    }

    private static (Dictionary<string, Action> Figures, double FirstLoss) Build(string implementation, int threads)
    {
        // The same weights and batch for every implementation: our generator draws them on the host.
        TorchBackends.Register();
        var dev = implementation == "torch:cpu" ? device("torch:cpu") : CPU;
        set_default_device(dev);
        set_num_threads(threads);
        TS.set_num_threads(threads);
        var generator = new Generator(0);
        var model = new TinyGpt(Config, ScalarType.Float32, generator);
        var inputs = randint(0, Config.vocab, [Batch, Config.context], generator: generator).DetachFromDisposeScope();
        var targets = randint(0, Config.vocab, [Batch, Config.context], generator: generator).DetachFromDisposeScope();

        if (implementation != "torchsharp")
        {
            var optimizer = optim.AdamW(model.parameters(), lr: 3e-4, weight_decay: 0.1);
            double first;
            using (NewDisposeScope())
            using (no_grad())
            {
                first = LmLoss.Compute(model.forward(inputs), targets).item<float>();
            }
            var ours = new Dictionary<string, Action>(StringComparer.Ordinal)
            {
                ["train_step_ms"] = () =>
                {
                    using var scope = NewDisposeScope();
                    optimizer.zero_grad();
                    var loss = LmLoss.Compute(model.forward(inputs), targets);
                    loss.backward();
                    optimizer.step();
                },
                ["forward_ms"] = () =>
                {
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    _ = LmLoss.Compute(model.forward(inputs), targets);
                },
            };
            AddOurPolicyFigures(ours, generator);
            return (ours, first);
        }

        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => (kv.Value.ToArray<float>(), kv.Value.shape));
        var peer = new TorchSharpTinyGpt(weights, Config.layers, Config.heads, Config.d_model);
        var x = TS.tensor(inputs.ToArray<long>(), [Batch, Config.context]);
        var y = TS.tensor(targets.ToArray<long>(), [Batch, Config.context]);
        var adamw = TS.optim.AdamW(peer.Parameters, lr: 3e-4, weight_decay: 0.1);
        double firstPeer;
        using (TS.NewDisposeScope())
        using (TS.no_grad())
        {
            firstPeer = TorchSharpTinyGpt.Loss(peer.Forward(x), y).item<float>();
        }
        var figures = new Dictionary<string, Action>(StringComparer.Ordinal)
        {
            ["train_step_ms"] = () =>
            {
                using var scope = TS.NewDisposeScope();
                adamw.zero_grad();
                var loss = TorchSharpTinyGpt.Loss(peer.Forward(x), y);
                loss.backward();
                adamw.step();
            },
            ["forward_ms"] = () =>
            {
                using var scope = TS.NewDisposeScope();
                using var noGrad = TS.no_grad();
                _ = TorchSharpTinyGpt.Loss(peer.Forward(x), y);
            },
        };
        AddPeerPolicyFigures(figures, generator);
        return (figures, firstPeer);
    }

    /// <summary>PPO step, sampling and GEMM on our backends (the default device set by <see cref="Build"/>).</summary>
    private static void AddOurPolicyFigures(Dictionary<string, Action> figures, Generator generator)
    {
        var policy = new TinyGpt(Quickstart, ScalarType.Float32, generator);
        var tokens = randint(0, Quickstart.vocab, [PpoBatch, Quickstart.context], generator: generator).DetachFromDisposeScope();
        var advantages = randn([PpoBatch, Quickstart.context - 1], generator: generator).DetachFromDisposeScope();
        var mask = ones([PpoBatch, Quickstart.context - 1]).DetachFromDisposeScope();
        mask.narrow(1, 0, PromptLength - 1).fill_(0);
        Tensor oldLogProbs;
        using (no_grad())
        {
            oldLogProbs = TokenLogProbs(policy, tokens).DetachFromDisposeScope();
        }
        var optimizer = optim.AdamW(policy.parameters(), lr: 1e-3, weight_decay: 0.0);
        figures["ppo_step_ms"] = () =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            // PPO's clipped surrogate (PpoMath.PolicyLoss): masked mean of max(−A·ρ, −A·clip(ρ, 0.8, 1.2)).
            var ratio = TokenLogProbs(policy, tokens).sub(oldLogProbs).exp();
            var loss = advantages.neg().mul(ratio).maximum(advantages.neg().mul(ratio.clamp(0.8, 1.2))).mul(mask).sum().div(mask.sum());
            loss.backward();
            nn.utils.clip_grad_norm_(policy.parameters(), 1.0);
            optimizer.step();
        };
        var prompts = tokens.narrow(1, 0, PromptLength).contiguous().DetachFromDisposeScope();
        var sampling = new Generator(1);
        figures["sample_ms"] = () =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            AlignFx.Tensors.Modules.KVCache[] caches = [.. Enumerable.Range(0, Quickstart.layers).Select(_ => new AlignFx.Tensors.Modules.KVCache(Quickstart.context))];
            try
            {
                var logits = policy.forward(prompts, caches);
                for (int step = 0; step < NewTokens; step++)
                {
                    var next = multinomial(logits.select(1, logits.size(1) - 1).softmax(-1), 1, generator: sampling);
                    if (step < NewTokens - 1)
                    {
                        logits = policy.forward(next, caches);
                    }
                }
            }
            finally
            {
                foreach (var cache in caches)
                {
                    cache.Dispose();
                }
            }
        };
        var a = randn([GemmSize, GemmSize], generator: generator).DetachFromDisposeScope();
        var b = randn([GemmSize, GemmSize], generator: generator).DetachFromDisposeScope();
        figures["gemm_1024_ms"] = () =>
        {
            using var scope = NewDisposeScope();
            _ = a.matmul(b);
        };
    }

    /// <summary>log p(token t+1 | tokens ≤ t) for every position but the last, [B, T − 1].</summary>
    private static Tensor TokenLogProbs(TinyGpt policy, Tensor tokens)
    {
        long t = tokens.size(1);
        var logits = policy.forward(tokens).narrow(1, 0, t - 1);
        return logits.log_softmax(-1).gather(2, tokens.narrow(1, 1, t - 1).unsqueeze(2)).squeeze(2);
    }

    /// <summary>The same three figures written directly in TorchSharp, from the same weights and data.</summary>
    private static void AddPeerPolicyFigures(Dictionary<string, Action> figures, Generator generator)
    {
        var ours = new TinyGpt(Quickstart, ScalarType.Float32, generator);
        var weights = ours.state_dict().ToDictionary(kv => kv.Key, kv => (kv.Value.ToArray<float>(), kv.Value.shape));
        var policy = new TorchSharpTinyGpt(weights, Quickstart.layers, Quickstart.heads, Quickstart.d_model);
        var tokens = TS.tensor(randint(0, Quickstart.vocab, [PpoBatch, Quickstart.context], generator: generator).ToArray<long>(), [PpoBatch, Quickstart.context]);
        var advantages = TS.tensor(randn([PpoBatch, Quickstart.context - 1], generator: generator).ToArray<float>(), [PpoBatch, Quickstart.context - 1]);
        var mask = TS.ones([PpoBatch, Quickstart.context - 1]);
        mask.narrow(1, 0, PromptLength - 1).fill_(0);
        TS.Tensor oldLogProbs;
        using (TS.no_grad())
        {
            oldLogProbs = TokenLogProbs(policy, tokens).detach().DetachFromDisposeScope();
        }
        var optimizer = TS.optim.AdamW(policy.Parameters, lr: 1e-3, weight_decay: 0.0);
        figures["ppo_step_ms"] = () =>
        {
            using var scope = TS.NewDisposeScope();
            optimizer.zero_grad();
            var ratio = (TokenLogProbs(policy, tokens) - oldLogProbs).exp();
            var loss = TS.maximum(-advantages * ratio, -advantages * ratio.clamp(0.8, 1.2)).mul(mask).sum() / mask.sum();
            loss.backward();
            TS.nn.utils.clip_grad_norm_(policy.Parameters, 1.0);
            optimizer.step();
        };
        var prompts = tokens.narrow(1, 0, PromptLength).contiguous();
        var sampling = new TS.Generator(1);
        figures["sample_ms"] = () =>
        {
            using var scope = TS.NewDisposeScope();
            using var noGrad = TS.no_grad();
            var caches = new TorchSharpTinyGpt.Cache(Quickstart.layers);
            var logits = policy.Forward(prompts, caches);
            for (int step = 0; step < NewTokens; step++)
            {
                var next = TS.multinomial(logits.select(1, logits.shape[1] - 1).softmax(-1), 1, generator: sampling);
                if (step < NewTokens - 1)
                {
                    logits = policy.Forward(next, caches);
                }
            }
        };
        var a = TS.tensor(randn([GemmSize, GemmSize], generator: generator).ToArray<float>(), [GemmSize, GemmSize]);
        var b = TS.tensor(randn([GemmSize, GemmSize], generator: generator).ToArray<float>(), [GemmSize, GemmSize]);
        figures["gemm_1024_ms"] = () =>
        {
            using var scope = TS.NewDisposeScope();
            _ = a.matmul(b);
        };
    }

    private static TS.Tensor TokenLogProbs(TorchSharpTinyGpt policy, TS.Tensor tokens)
    {
        long t = tokens.shape[1];
        var logits = policy.Forward(tokens).narrow(1, 0, t - 1);
        return logits.log_softmax(-1).gather(2, tokens.narrow(1, 1, t - 1).unsqueeze(2)).squeeze(2);
    }
}
