using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.LanguageModels.Tests;

/// <summary>A run context with a seed and nothing else.</summary>
internal sealed class TestRunContext(long seed) : IRunContext
{
    public string RunId => "test";
    public long Seed { get; } = seed;
    public ILogger Logger => NullLogger.Instance;
    public IMetricSink Metrics => throw new NotSupportedException();
    public IArtifactStore Files => throw new NotSupportedException();
    public IProgressReporter Progress => throw new NotSupportedException();
    public CancellationToken Cancellation => CancellationToken.None;
    public string Device => "cpu";
}

internal static class Tiny
{
    public const string Alphabet = "0123456789+-*=?. abcdefghijklmnopqrstuvwxyz";

    /// <summary>A tiny random GPT over <see cref="Alphabet"/>.</summary>
    public static GptPolicy Policy(long seed = 1, bool valueHead = false, bool tied = false, int context = 48) =>
        new(new GptModel(new GptConfig(new CharTokenizer(Alphabet).VocabularySize, context, 32, 4, 2, 0, tied, valueHead),
            new torch.Generator(seed)), new CharTokenizer(Alphabet));

    public static readonly Prompt[] Prompts =
    [
        new("p0", "1+2=?"),
        new("p1", "73*60+19=? i think it is 4399."),
        new("p2", "9-3=?"),
        new("p3", ""),
    ];

    /// <summary>ScoreAsync, synchronously (it completes synchronously).</summary>
    public static IReadOnlyList<float[]> Score(IPolicy policy, IReadOnlyList<Response> responses) =>
        policy.ScoreAsync(responses, CancellationToken.None).GetAwaiter().GetResult();

    public static IReadOnlyList<Response> Generate(GptPolicy policy, GenerationOptions options, bool useCache = true) =>
        Generate(policy, Prompts, options, useCache);

    public static IReadOnlyList<Response> Generate(GptPolicy policy, IReadOnlyList<Prompt> prompts, GenerationOptions options, bool useCache = true) =>
        policy.Generate(prompts, options, useCache, CancellationToken.None);
}
