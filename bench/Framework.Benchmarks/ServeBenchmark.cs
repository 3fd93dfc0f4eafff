using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Serve;
using AlignFx.LanguageModels;
using AlignFx.Tasks.Arithmetic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Benchmarks;

/// <summary>
/// <c>alignfx serve</c> throughput (issue 16): completion tokens per second over real loopback HTTP for the quickstart's
/// policy shape (gpt, 2 layers, d 96, 4 heads), at 1 and 8 concurrent clients, each request one test prompt with
/// <c>max_tokens</c> 48 at temperature 1. The peer is the same policy sampling the same requests in process, one at a
/// time (so the ratio is the cost of HTTP, JSON and the server); the server answers one request at a time, so
/// concurrency 8 is expected to add queueing, not throughput.
/// </summary>
internal sealed class ServeBenchmark : IBenchmarkSuite
{
    private const int MaxTokens = 48, RequestsPerRound = 32, Warmup = 1;

    public string Name => "serve";

    public string Description => "alignfx serve: completion tokens/s over loopback HTTP at concurrency 1 and 8 (quickstart policy shape)";

    public int Run(BenchmarkSettings settings, TextWriter output)
    {
        var context = new SeedOnlyContext(1);
        var task = new ArithmeticTask(new ArithmeticOptions(), context);
        using var policy = new GptPolicy(new GptOptions { Layers = 2, DModel = 96, Heads = 4, ValueHead = true }, context, task);
        Prompt[] prompts = [.. task.GetPrompts(TaskSplits.Test).Take(RequestsPerRound)];
        output.WriteLine(Format($"# policy: quickstart shape ({policy.Model.ParameterCount} parameters, random weights), {RequestsPerRound} requests of max_tokens {MaxTokens} per round; {(settings.UseMinimum ? "fastest" : "median")} of {settings.Rounds} rounds after {Warmup} warm-up round"));
        var server = PolicyServer.StartAsync(new ServeOptions(policy, "quickstart", IPAddress.Loopback, 0)).GetAwaiter().GetResult();
        try
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            int round = 0;
            double InProcess()
            {
                int seedBase = round++ * RequestsPerRound;
                var watch = Stopwatch.StartNew();
                long tokens = 0;
                for (int i = 0; i < prompts.Length; i++)
                {
                    var options = new GenerationOptions { MaxNewTokens = MaxTokens, Seed = seedBase + i };
                    tokens += policy.GenerateAsync([prompts[i]], options, CancellationToken.None).GetAwaiter().GetResult()[0].TokenIds!.Count;
                }
                return tokens / watch.Elapsed.TotalSeconds;
            }
            double OverHttp(int concurrency)
            {
                int seedBase = round++ * RequestsPerRound;
                int next = -1;
                long tokens = 0;
                var watch = Stopwatch.StartNew();
                Task[] clients = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < prompts.Length)
                    {
                        string body = new JsonObject
                        {
                            ["model"] = "quickstart",
                            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompts[i].Text }),
                            ["max_tokens"] = MaxTokens,
                            ["seed"] = seedBase + i,
                        }.ToJsonString();
                        using HttpResponseMessage response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
                        response.EnsureSuccessStatusCode();
                        JsonNode answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                        Interlocked.Add(ref tokens, answer["usage"]!["completion_tokens"]!.GetValue<long>());
                    }
                }))];
                Task.WaitAll(clients);
                return tokens / watch.Elapsed.TotalSeconds;
            }
            double peer = Measure(InProcess, settings);
            if (settings.Includes("c1"))
            {
                Report(output, "serve_c1_completion_tokens_per_s", Measure(() => OverHttp(1), settings), peer);
            }
            if (settings.Includes("c8"))
            {
                Report(output, "serve_c8_completion_tokens_per_s", Measure(() => OverHttp(8), settings), peer);
            }
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return 0;
    }

    private static double Measure(Func<double> round, BenchmarkSettings settings)
    {
        for (int i = 0; i < Warmup; i++)
        {
            round();
        }
        double[] values = [.. Enumerable.Range(0, settings.Rounds).Select(_ => round()).Order()];
        return settings.UseMinimum ? values[^1] : values[values.Length / 2];
    }

    /// <summary>Throughputs, so the ratio of times is peer/ours.</summary>
    private static void Report(TextWriter output, string name, double ours, double peer) =>
        output.WriteLine(Format($"{name} ours={ours:0.#} peer={peer:0.#} ratio={peer / ours:0.###}"));

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

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
