using AlignFx.Abstractions.Feedback;
using Microsoft.Extensions.Logging;

namespace AlignFx.Abstractions.Runs;

/// <summary>
/// What a component sees of the run it works in. The host provides one per run (and a derived one per stage);
/// components may take it as a constructor argument.
/// </summary>
public interface IRunContext
{
    /// <summary>The run's identifier in the store.</summary>
    string RunId { get; }

    /// <summary>
    /// The seed this context's random streams derive from (see <see cref="RandomStreams"/>). Use
    /// <see cref="RunContextExtensions.CreateRandom"/> rather than seeding generators by hand.
    /// </summary>
    long Seed { get; }

    /// <summary>Log lines for the user and the store.</summary>
    ILogger Logger { get; }

    /// <summary>Metric series (names as in <see cref="MetricNames"/>).</summary>
    IMetricSink Metrics { get; }

    /// <summary>Files under the run's folder.</summary>
    IArtifactStore Files { get; }

    /// <summary>Progress of long work; the host renders it.</summary>
    IProgressReporter Progress { get; }

    /// <summary>Signalled when the user stops the run; stop at the next safe point.</summary>
    CancellationToken Cancellation { get; }

    /// <summary>The tensor device components should compute on (<c>"cpu"</c> unless a backend says otherwise).</summary>
    string Device { get; }

    /// <summary>
    /// Where stages record the feedback records they collect, so that the run's store keeps every label with its
    /// provenance; null when the host keeps no store of feedback (stages then only pass the records on as artifacts).
    /// </summary>
    /// <remarks>Added after the first contracts: the default keeps contexts written before it compiling.</remarks>
    IFeedbackLog? FeedbackLog => null;

    /// <summary>Every metric value the run has logged so far, or null where the host keeps no history.</summary>
    IMetricHistory? MetricHistory => null;

    /// <summary>Where stages keep oversight transcripts in the run's store; null where the host keeps none.</summary>
    /// <remarks>Added in contracts 2.5: the default keeps contexts written before it compiling.</remarks>
    ITranscriptLog? TranscriptLog => null;
}

/// <summary>Random streams of a run context.</summary>
public static class RunContextExtensions
{
    /// <summary>
    /// A new generator at the start of the stream <paramref name="streamName"/> of this context's seed: the same
    /// name gives the same sequence every time; keep the instance to continue drawing from it.
    /// </summary>
    /// <param name="context">The run context.</param>
    /// <param name="streamName">A name unique to the purpose, for example <c>"ppo/rollouts"</c>.</param>
    /// <returns>A seeded generator.</returns>
    public static Random CreateRandom(this IRunContext context, string streamName)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RandomStreams.Create(context.Seed, streamName);
    }

    /// <summary>A 64-bit seed for the stream <paramref name="streamName"/>, for generators that take their own seed (tensor runtimes, samplers).</summary>
    /// <param name="context">The run context.</param>
    /// <param name="streamName">A name unique to the purpose.</param>
    /// <returns>The derived seed (<see cref="RandomStreams.Derive"/>).</returns>
    public static long DeriveSeed(this IRunContext context, string streamName)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RandomStreams.Derive(context.Seed, streamName);
    }
}
