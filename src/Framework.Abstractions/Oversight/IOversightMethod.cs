using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Oversight;

/// <summary>
/// A method that helps a weak judge decide between candidate responses (debate, consultancy, critique → revision),
/// leaving a transcript of how it decided. <see cref="OversightFeedbackSource"/> turns one into a feedback source.
/// </summary>
public interface IOversightMethod
{
    /// <summary>Judges the candidates of <paramref name="question"/>.</summary>
    /// <param name="question">A prompt and two or more candidate responses to it.</param>
    /// <param name="ct">Stops between turns.</param>
    /// <returns>The verdict and its transcript.</returns>
    Task<OversightVerdict> JudgeAsync(OversightQuestion question, CancellationToken ct);
}

/// <summary>What an oversight method is asked to judge.</summary>
/// <param name="Id">Unique within a run.</param>
/// <param name="Candidates">Two or more responses to the same prompt.</param>
public sealed record OversightQuestion(string Id, IReadOnlyList<Response> Candidates);

/// <summary>An oversight method's decision.</summary>
/// <param name="Chosen">The index of the chosen candidate.</param>
/// <param name="Confidence">The judge's probability, in [0, 1], that the chosen candidate is the better one.</param>
/// <param name="Transcript">The turns that led to the verdict, in order.</param>
public sealed record OversightVerdict(int Chosen, double Confidence, IReadOnlyList<TranscriptTurn> Transcript)
{
    /// <summary>What the verdict cost (model calls, tokens), in the method's unit.</summary>
    public double Cost { get; init; }

    /// <summary>Who judged (the judge's model or annotator name).</summary>
    public string Judge { get; init; } = "";
}

/// <summary>One turn of a transcript.</summary>
/// <param name="Speaker">Who spoke, for example <c>debater-a</c>, <c>judge</c>, <c>critic</c>.</param>
/// <param name="Text">What was said.</param>
public sealed record TranscriptTurn(string Speaker, string Text);
