using System.Diagnostics;
using System.Globalization;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.LanguageModels;
using AlignFx.Ppo;
using AlignFx.RewardModels.Composed;
using AlignFx.Tasks.Arithmetic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Benchmarks;

/// <summary>
/// The <c>ppo</c> optimiser (issue 7) on the default gpt policy (4 layers, d 128) with a value head, rollouts of 64
/// arithmetic prompts per step against the task's gold reward: tokens per second through a whole PPO step (rollout
/// with the KV cache, reward, scoring of policy and reference, 4 epochs of update), and the managed heap and working
/// set over a long run (steady when nothing leaks). Ours only: peer=n/a.
/// </summary>
internal sealed class PpoBenchmark : IBenchmarkSuite
{
    private const int Batch = 64, StepsPerRound = 2, LongRunSteps = 40;

    public string Name => "ppo";

    public string Description => "ppo optimiser on the quickstart's gpt + value head, batch 64: tokens/s per step (rollout + update) and memory over a long run";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        var seed = new BenchContext(1);
        // The quickstart's task and policy shape (examples/quickstart.json), with random weights.
        var task = new ArithmeticTask(new ArithmeticOptions { Operators = "+-", HardDigits = 1, HardOperations = 2 }, seed);
        using var policy = new GptPolicy(new GptOptions { Layers = 2, DModel = 96, Heads = 4, ValueHead = true }, seed, task);
        var reward = new GoldReward(new GoldRewardOptions(), task);
        output.WriteLine(Format($"# ppo: the quickstart's gpt (2 layers, d 96, 4 heads) + value head ({policy.Model.ParameterCount} parameters), batch {Batch}, 4 epochs x 1 minibatch, 48 new tokens; {(settings.UseMinimum ? "fastest" : "median")} of {settings.Rounds} rounds of {StepsPerRound} steps after 1 warm-up round"));
        var request = new OptimizationRequest(policy, reward, task.GetPrompts(TaskSplits.Train));

        if (settings.Includes("step"))
        {
            int round = 0;
            double Round()
            {
                var context = new BenchContext(100 + round++);
                var watch = Stopwatch.StartNew();
                new PpoOptimizer(Options(StepsPerRound)).OptimizeAsync(request, context, CancellationToken.None).GetAwaiter().GetResult();
                double seconds = watch.Elapsed.TotalSeconds;
                return context.Sink.Sum("response_length/mean") * Batch / seconds;
            }
            Round();
            double[] values = [.. Enumerable.Range(0, settings.Rounds).Select(_ => Round()).Order()];
            double tokensPerSecond = settings.UseMinimum ? values[^1] : values[values.Length / 2];
            output.WriteLine(Format($"ppo_step_b64_tokens_per_s ours={tokensPerSecond:0.#} peer=n/a ratio=n/a"));
        }

        if (settings.Includes("memory"))
        {
            var context = new BenchContext(7) { TrackMemory = true };
            new PpoOptimizer(Options(LongRunSteps)).OptimizeAsync(request, context, CancellationToken.None).GetAwaiter().GetResult();
            var (heap, workingSet) = (context.Sink.Heap, context.Sink.WorkingSet);
            int early = 5;
            output.WriteLine(Format($"ppo_heap_mib step{early}={heap[early - 1] / 1048576.0:0.0} step{LongRunSteps}={heap[^1] / 1048576.0:0.0} max={heap.Max() / 1048576.0:0.0}"));
            output.WriteLine(Format($"ppo_working_set_mib step{early}={workingSet[early - 1] / 1048576.0:0.0} step{LongRunSteps}={workingSet[^1] / 1048576.0:0.0} max={workingSet.Max() / 1048576.0:0.0}"));
        }
        return 0;
    }

    private static PpoOptions Options(int steps) => new() { Steps = steps, BatchSize = Batch, MaxNewTokens = 48, EvaluateEvery = 1_000_000 };

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Keeps the per-step metrics the suite needs; with memory tracking, samples heap and working set once per step.</summary>
    private sealed class Sink(Func<bool> trackMemory) : IMetricSink
    {
        private readonly Dictionary<string, double> _sums = new(StringComparer.Ordinal);

        public List<long> Heap { get; } = [];

        public List<long> WorkingSet { get; } = [];

        public double Sum(string name) => _sums.GetValueOrDefault(name);

        public void Log(string name, double value, long step)
        {
            _sums[name] = _sums.GetValueOrDefault(name) + value;
            if (name == MetricNames.LearningRate && trackMemory())
            {
                Heap.Add(GC.GetTotalMemory(forceFullCollection: true));
                using var process = Process.GetCurrentProcess();
                WorkingSet.Add(process.WorkingSet64);
            }
        }
    }

    private sealed class BenchContext : IRunContext
    {
        public BenchContext(long seed)
        {
            Seed = seed;
            Sink = new Sink(() => TrackMemory);
        }

        public bool TrackMemory { get; init; }
        public Sink Sink { get; }
        public string RunId => "bench";
        public long Seed { get; }
        public ILogger Logger => NullLogger.Instance;
        public IMetricSink Metrics => Sink;
        public IArtifactStore Files => throw new NotSupportedException();
        public IProgressReporter Progress { get; } = new NoProgress();
        public CancellationToken Cancellation => CancellationToken.None;
        public string Device => "cpu";
    }

    private sealed class NoProgress : IProgressReporter
    {
        public IProgressTask Start(string description, double total) => new Task();

        private sealed class Task : IProgressTask
        {
            public void Advance(double amount = 1)
            {
            }

            public void Dispose()
            {
            }
        }
    }
}
