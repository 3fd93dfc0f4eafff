using System.Diagnostics;
using System.Globalization;
using AlignFx.Reference;
using AlignFx.Tensors.Optim;
using AlignFx.Tensors.Torch;
using static AlignFx.Tensors.torch;
using TS = TorchSharp.torch;

namespace AlignFx.Benchmarks;

/// <summary>
/// The tiny-GPT training step and forward (issue 2's shapes) on three implementations, each in its own process:
/// our managed backend, our torch:cpu backend, and the same model written directly in TorchSharp (the peer).
/// The coordinator starts one worker per implementation; every round asks each worker in turn for a timed batch
/// (interleaved, so slow drifts of the machine hit all three alike) and reports medians. All start from the same
/// weights and batch; each worker's first loss is printed so they can be compared. Values are ms; ratio = ours / peer.
/// </summary>
internal sealed class TorchPeerBenchmark : IBenchmarkSuite
{
    internal static readonly GptConfig Config = new(vocab: 64, context: 64, d_model: 128, heads: 4, layers: 4);
    internal const int Batch = 32;
    private const int WarmupSteps = 10;
    internal const string WorkerCommand = "torch-peer-worker";
    private static readonly string[] Implementations = ["managed", "torch:cpu", "torchsharp"];

    public string Name => "torch-peer";

    public string Description => "tiny-GPT training step and forward: managed and torch:cpu backends vs TorchSharp written directly (separate processes)";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        int threads = settings.SingleThread ? 1 : 2;
        output.WriteLine(Format($"# torch-peer: tiny GPT {Config}, batch {Batch}, float32, {threads} threads per process; values are ms ({(settings.UseMinimum ? "fastest" : "median")} of {settings.Rounds} interleaved rounds after {WarmupSteps} warm-up steps); peer = TorchSharp {TS.__version__} written directly"));
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
            string[] figures = ["train_step_ms", "forward_ms"];
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
            foreach (var f in figures.Where(settings.Includes))
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
        var (train, forward, firstLoss) = Build(implementation, threads);
        Console.WriteLine(Format($"first loss {firstLoss:F6}, {threads} threads"));
        for (int i = 0; i < WarmupSteps; i++)
        {
            train();
        }
        Action Of(string figure) => figure == "forward_ms" ? forward : train;
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

    private static (Action Train, Action Forward, double FirstLoss) Build(string implementation, int threads)
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
            return (() =>
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = LmLoss.Compute(model.forward(inputs), targets);
                loss.backward();
                optimizer.step();
            }, () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                _ = LmLoss.Compute(model.forward(inputs), targets);
            }, first);
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
        return (() =>
        {
            using var scope = TS.NewDisposeScope();
            adamw.zero_grad();
            var loss = TorchSharpTinyGpt.Loss(peer.Forward(x), y);
            loss.backward();
            adamw.step();
        }, () =>
        {
            using var scope = TS.NewDisposeScope();
            using var noGrad = TS.no_grad();
            _ = TorchSharpTinyGpt.Loss(peer.Forward(x), y);
        }, firstPeer);
    }
}
