using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;

namespace AlignFx.Feedback;

/// <summary>
/// A feedback source whose evaluators can use critiques (model-assisted feedback, Saunders et al. 2022): the
/// <c>assisted</c> source shows them the critiques of a query's responses and asks for the label. The simulated human
/// implements it; a chat-model judge or a person at a web page would too. Defined in this plugin, not in the
/// contracts: the assisted source finds the wrapped source by name and asks whether it is one.
/// </summary>
public interface IAssistableSource
{
    /// <summary>Answers a pairwise query as the evaluator would alone and as it does after reading the critiques.</summary>
    /// <param name="pair">The query.</param>
    /// <param name="first">The critique shown with the first response, or null when none is shown.</param>
    /// <param name="second">The critique shown with the second response, or null when none is shown.</param>
    /// <param name="claims">The task's claim checker, through which the evaluator checks a claim within its limit.</param>
    /// <param name="assistance">How the evaluator weighs critiques and what reading them costs.</param>
    /// <returns>Both labels, from the same annotator and the same draws.</returns>
    AssistedAnswer AnswerAssisted(PairwiseQuery pair, Critique? first, Critique? second, IClaimChecker claims, Assistance assistance);
}

/// <summary>How an evaluator uses critiques.</summary>
/// <param name="Trust">How far it takes a critique it cannot verify at its word, in [0, 1].</param>
/// <param name="SecondsPerCritique">The time it spends reading (and checking) one critique.</param>
/// <param name="EvaluatorCostPerCritique">What that time costs, in the source's unit.</param>
public sealed record Assistance(double Trust, double SecondsPerCritique, double EvaluatorCostPerCritique);

/// <summary>A query's label with and without the critiques.</summary>
/// <param name="Unassisted">The label the evaluator gives alone.</param>
/// <param name="Assisted">The label it gives after reading the critiques (its provenance: the evaluator's cost and time).</param>
/// <param name="Checkable">Whether the evaluator could check the item itself (both responses within its verification limit).</param>
/// <param name="FlawsFound">How many critiqued claims it checked and found false.</param>
public sealed record AssistedAnswer(PairwiseFeedback Unassisted, PairwiseFeedback Assisted, bool Checkable, int FlawsFound);
