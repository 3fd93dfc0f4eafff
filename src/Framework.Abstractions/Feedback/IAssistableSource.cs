using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;

namespace AlignFx.Abstractions.Feedback;

/// <summary>
/// A feedback source whose evaluators can use critiques (model-assisted feedback, Saunders et al. 2022): a wrapping
/// source (the Feedback plugin's <c>assisted</c>) shows them the critiques of a query's responses and asks for the
/// label. Simulated humans, chat-model judges and people at a web page implement it, in any plugin. A manifest that
/// wraps a feedback source not implementing it is refused when it is validated. Added in contracts 2.4.
/// </summary>
public interface IAssistableSource
{
    /// <summary>Answers a pairwise query as the evaluator would alone and as it does after reading the critiques.</summary>
    /// <param name="pair">The query.</param>
    /// <param name="first">The critique shown with the first response, or null when none is shown.</param>
    /// <param name="second">The critique shown with the second response, or null when none is shown.</param>
    /// <param name="claims">The task's claim checker, through which an evaluator may check a claim within its limit.</param>
    /// <param name="assistance">How a simulated evaluator weighs critiques and what reading them costs.</param>
    /// <param name="ct">Stops a model call.</param>
    /// <returns>Both labels, from the same evaluator (and, for a simulated one, the same draws).</returns>
    Task<AssistedAnswer> AnswerAssistedAsync(PairwiseQuery pair, Critique.Critique? first, Critique.Critique? second, IClaimChecker claims,
        Assistance assistance, CancellationToken ct);
}

/// <summary>How an evaluator uses critiques. Added in contracts 2.4.</summary>
/// <param name="Trust">How far a simulated evaluator takes a critique it cannot verify at its word, in [0, 1] (a model judge weighs critiques itself).</param>
/// <param name="SecondsPerCritique">The time a person spends reading (and checking) one critique.</param>
/// <param name="EvaluatorCostPerCritique">What that time costs, in the source's unit.</param>
public sealed record Assistance(double Trust, double SecondsPerCritique, double EvaluatorCostPerCritique);

/// <summary>A query's label with and without the critiques. Added in contracts 2.4.</summary>
/// <param name="Unassisted">The label the evaluator gives alone.</param>
/// <param name="Assisted">The label it gives after reading the critiques (its provenance: the evaluator's cost and time).</param>
/// <param name="Checkable">
/// Whether the evaluator could check the item itself (both responses within its verification limit), or null when the
/// evaluator has no stated limit (a model judge): such labels count in the overall agreement only.
/// </param>
/// <param name="FlawsFound">How many critiqued claims it checked and found false (0 for an evaluator that checks none).</param>
public sealed record AssistedAnswer(PairwiseFeedback Unassisted, PairwiseFeedback Assisted, bool? Checkable, int FlawsFound);
