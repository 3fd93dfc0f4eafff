using AlignFx.Reference;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AlignFx.Tensors.Optim;
using static AlignFx.Tensors.torch;

namespace AlignFx.Benchmarks;

/// <summary>
/// The tiny-GPT training step of issue 2 (4 layers, d_model 128, 4 heads, context 64, vocabulary 64, batch 32,
/// cross-entropy, AdamW) and its forward pass, against the same model in PyTorch (bench/reference/train_step.py,
/// run as a child process). A train step is zero_grad + forward + loss + backward + AdamW step inside one dispose
/// scope; forward is forward + loss under no_grad. Values are milliseconds; ratio = ours / peer.
/// </summary>
internal sealed partial class TrainStepBenchmark : IBenchmarkSuite
{
    private static readonly GptConfig Config = new(vocab: 64, context: 64, d_model: 128, heads: 4, layers: 4);
    private const int Batch = 32;
    private const int WarmupSteps = 10;

    public string Name => "train-step";

    public string Description => "tiny-GPT training step and forward vs PyTorch (bench/reference/train_step.py)";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        var generator = new Generator(0);
        using var model = new TinyGpt(Config, ScalarType.Float32, generator);
        using var inputs = randint(0, Config.vocab, [Batch, Config.context], generator: generator).DetachFromDisposeScope();
        using var targets = randint(0, Config.vocab, [Batch, Config.context], generator: generator).DetachFromDisposeScope();
        using var optimizer = optim.AdamW(model.parameters(), lr: 3e-4, weight_decay: 0.1);
        long parameterCount = model.parameters().Sum(p => p.numel());
        output.WriteLine(Format($"# train-step: tiny GPT {Config}, batch {Batch}, {parameterCount} parameters, float32; values are ms ({(settings.UseMinimum ? "fastest" : "median")} of {settings.Rounds} rounds after {WarmupSteps} warm-up steps)"));

        void TrainStep()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = LmLoss.Compute(model.forward(inputs), targets);
            loss.backward();
            optimizer.step();
        }

        void Forward()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            _ = LmLoss.Compute(model.forward(inputs), targets);
        }

        for (int i = 0; i < WarmupSteps; i++)
        {
            TrainStep();
        }

        var (peer, reason) = RunPeer(settings);
        if (peer is null)
        {
            output.WriteLine($"# train-step: peer unavailable: {reason}; peer=n/a below");
        }
        else
        {
            output.WriteLine($"# train-step: peer {reason}");
        }

        double[] ours = Measure.Seconds(settings.Rounds, settings.UseMinimum, TrainStep, Forward);
        if (settings.Includes("train_step_ms"))
        {
            output.WriteLine(Figure("train_step_ms", ours[0] * 1e3, peer?.TrainMs));
        }
        if (settings.Includes("forward_ms"))
        {
            output.WriteLine(Figure("forward_ms", ours[1] * 1e3, peer?.ForwardMs));
        }
        output.WriteLine(Breakdown(model, optimizer, inputs, targets, settings.Rounds));
        return 0;
    }

    // Where one train step's time goes (medians): forward+loss, backward, optimiser step, zero_grad.
    private static string Breakdown(TinyGpt model, Optimizer optimizer, Tensor inputs, Tensor targets, int rounds)
    {
        var samples = new double[4][];
        for (int k = 0; k < 4; k++)
        {
            samples[k] = new double[rounds];
        }
        for (int r = 0; r < rounds; r++)
        {
            using var scope = NewDisposeScope();
            long t0 = Stopwatch.GetTimestamp();
            optimizer.zero_grad();
            long t1 = Stopwatch.GetTimestamp();
            var loss = LmLoss.Compute(model.forward(inputs), targets);
            long t2 = Stopwatch.GetTimestamp();
            loss.backward();
            long t3 = Stopwatch.GetTimestamp();
            optimizer.step();
            long t4 = Stopwatch.GetTimestamp();
            samples[0][r] = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
            samples[1][r] = Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
            samples[2][r] = Stopwatch.GetElapsedTime(t3, t4).TotalMilliseconds;
            samples[3][r] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
        }
        double M(int k) => samples[k].Order().ElementAt(rounds / 2);
        return Format($"# train-step breakdown (ours, ms): forward+loss={M(0):F2} backward={M(1):F2} adamw={M(2):F2} zero_grad={M(3):F3}");
    }

    private static string Figure(string name, double ours, double? peer) => peer is { } p
        ? Format($"{name} ours={ours:F2} peer={p:F2} ratio={ours / p:F3}")
        : Format($"{name} ours={ours:F2} peer=n/a ratio=n/a");

    private sealed record PeerResult(double TrainMs, double ForwardMs);

    private static (PeerResult? Result, string Note) RunPeer(BenchmarkSettings settings)
    {
        string? script = FindScript();
        if (script is null)
        {
            return (null, "bench/reference/train_step.py not found above the working directory or the program");
        }
        const string Python = "/usr/bin/python3";
        if (!File.Exists(Python))
        {
            return (null, $"{Python} not found");
        }
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--reps");
        info.ArgumentList.Add(Math.Max(settings.Rounds, 20).ToString(CultureInfo.InvariantCulture));
        if (settings.SingleThread)
        {
            info.ArgumentList.Add("--blas-threads");
            info.ArgumentList.Add("1");
        }
        try
        {
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                return (null, "train_step.py ran over 5 minutes");
            }
            var m = PeerLine().Match(stdout);
            if (process.ExitCode != 0 || !m.Success)
            {
                string err = stderr.Result.Trim();
                return (null, $"train_step.py exited {process.ExitCode}: {(err.Length > 200 ? err[^200..] : err)}");
            }
            var result = new PeerResult(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            return (result, $"PyTorch via {Python} {Path.GetFileName(script)} (1 torch thread, 2 OpenBLAS threads, CORETYPE unset)");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, e.Message);
        }
    }

    private static string? FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "bench", "reference", "train_step.py");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    [GeneratedRegex(@"train_step_ms=([0-9.eE+-]+)\s+forward_ms=([0-9.eE+-]+)")]
    private static partial Regex PeerLine();

    private static string Format(FormattableString line) => line.ToString(CultureInfo.InvariantCulture);
}
