using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.ConstitutionalCritique;

/// <summary>
/// A feedback model that can say which of two responses better follows a principle: the simulated AI labeller
/// (<c>simulated-ai</c>) implements it; <c>ai-feedback</c> asks one in both orders.
/// </summary>
public interface IPrincipleJudge
{
    /// <summary>Judges <paramref name="first"/> against <paramref name="second"/> under <paramref name="principle"/>, in that order.</summary>
    /// <param name="callId">Unique per call within a run (the query id and the order): it keys the call's random stream.</param>
    /// <param name="first">The response shown first.</param>
    /// <param name="second">The response shown second.</param>
    /// <param name="principle">The principle to judge by, or null for a general preference.</param>
    /// <param name="ct">Stops a model call.</param>
    /// <returns>The judgement.</returns>
    Task<PrincipleJudgement> JudgeAsync(string callId, Response first, Response second, Principle? principle, CancellationToken ct);
}

/// <summary>A feedback model's answer to one ordered comparison.</summary>
/// <param name="PreferFirst">Its probability, in (0, 1), that the response shown first better follows the principle.</param>
/// <param name="Rationale">Why, as a reader sees it.</param>
/// <param name="Judge">The model's name (provenance's annotator).</param>
/// <param name="Cost">What the call cost, in the model's unit.</param>
public sealed record PrincipleJudgement(double PreferFirst, string Rationale, string Judge, double Cost);
