using System.Diagnostics;
using System.Globalization;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.LanguageModels;
using AlignFx.Tasks.Arithmetic;
using AlignFx.Tensors.Optim;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static AlignFx.Tensors.torch;

namespace AlignFx.Benchmarks;

/// <summary>
/// The default `gpt` policy on the built-in arithmetic task (issue 4's benchmarks): sampling throughput with the
/// key/value cache at batch 64, and training throughput (score + backward + AdamW step at batch 32 on pretraining
/// examples). Ours only: no peer runs this model, so peer=n/a and ratio=n/a.
/// </summary>
internal sealed class PolicyBenchmark : IBenchmarkSuite
{
    private const int SampleBatch = 64, TrainBatch = 32, MaxNewTokens = 48, Warmup = 3;

    public string Name => "policy";

    public string Description => "default gpt policy on the arithmetic task: sampling tokens/s (batch 64, KV cache) and training tokens/s (batch 32)";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        var context = new SeedOnlyContext(1);
        var task = new ArithmeticTask(new ArithmeticOptions(), context);
        using var policy = new GptPolicy(new GptOptions(), context, task);
        output.WriteLine(Format($"# policy: gpt defaults ({policy.Model.ParameterCount} parameters), arithmetic task defaults; {(settings.UseMinimum ? "fastest" : "median")} of {settings.Rounds} rounds after {Warmup} warm-up rounds"));

        if (settings.Includes("sample"))
        {
            Prompt[] prompts = [.. task.GetPrompts(TaskSplits.Test).Take(SampleBatch)];
            int round = 0;
            double Sample()
            {
                var options = new GenerationOptions { MaxNewTokens = MaxNewTokens, Seed = round++ };
                var watch = Stopwatch.StartNew();
                IReadOnlyList<Response> responses = policy.GenerateAsync(prompts, options, CancellationToken.None).GetAwaiter().GetResult();
                double seconds = watch.Elapsed.TotalSeconds;
                return responses.Sum(r => r.TokenIds?.Count ?? 0) / seconds;
            }
            Report(output, "policy_sample_b64_tokens_per_s", Measure(Sample, settings));
        }

        if (settings.Includes("train"))
        {
            PretrainingExample[] corpus = [.. task.GetPretrainingCorpus().Take(TrainBatch)];
            Prompt[] promptsOf = [.. corpus.Select((e, i) => new Prompt($"c{i}", e.Prompt))];
            Response[] batch = [.. corpus.Select((e, i) => new Response(promptsOf[i], e.Response))];
            long tokens = corpus.Sum(e => policy.Tokenizer.EncodePrompt(e.Prompt).Length + policy.Tokenizer.Encode(e.Response).Length + 1);
            using var optimizer = optim.AdamW(policy.Model.parameters(), lr: 1e-3, weight_decay: 0.01);
            double Train()
            {
                var watch = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    optimizer.zero_grad();
                    TokenScores scores = policy.ScoreTokens(batch);
                    var loss = -(scores.LogProbs * scores.Mask).sum() / scores.Mask.sum();
                    loss.backward();
                    optimizer.step();
                }
                return tokens / watch.Elapsed.TotalSeconds;
            }
            Report(output, "policy_train_b32_tokens_per_s", Measure(Train, settings));
        }
        return 0;
    }

    /// <summary>Throughput per round after warm-up; the median (or the best, with --stat min) of the rounds.</summary>
    private static double Measure(Func<double> round, BenchmarkSettings settings)
    {
        for (int i = 0; i < Warmup; i++)
        {
            round();
        }
        double[] values = [.. Enumerable.Range(0, settings.Rounds).Select(_ => round()).Order()];
        return settings.UseMinimum ? values[^1] : values[values.Length / 2];
    }

    private static void Report(TextWriter output, string name, double ours) =>
        output.WriteLine(Format($"{name} ours={ours:0.#} peer=n/a ratio=n/a"));

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>What the task and the policy need from a run: a seed.</summary>
    private sealed class SeedOnlyContext(long seed) : IRunContext
    {
        public string RunId => "bench";
        public long Seed { get; } = seed;
        public ILogger Logger => NullLogger.Instance;
        public IMetricSink Metrics => throw new NotSupportedException();
        public IArtifactStore Files => throw new NotSupportedException();
        public IProgressReporter Progress => throw new NotSupportedException();
        public CancellationToken Cancellation => CancellationToken.None;
        public string Device => "cpu";
    }
}
