using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Claims;

/// <summary>
/// A statement in a response that a judge can check when it is within the judge's verification limit: for the
/// arithmetic task a working step (<c>73*60=4380</c>) or the response's final claim (<c>12+7*3=33</c>).
/// </summary>
/// <param name="Text">The claim in the task's notation.</param>
/// <param name="Difficulty">
/// On the task's difficulty scale (the one <see cref="GoldFeatures.Difficulty"/> uses): a judge with verification limit
/// v can check a claim whose difficulty is at most v.
/// </param>
/// <param name="IsFinal">Whether the claim is the response's answer to its prompt (always the last claim).</param>
public sealed record Claim(string Text, double Difficulty, bool IsFinal = false);

/// <summary>
/// What a task with checkable responses offers oversight methods (debate, critique, assisted labelling): the claims
/// of a response, a check of one claim within a verification limit, and the split of a claim into smaller ones.
/// </summary>
/// <remarks>
/// This is a judge's only window on the truth, and a narrow one: <see cref="Check"/> answers only for claims within
/// the limit it is given. Protocols hand it to judges and simulated evaluators, never to the debaters or critics
/// they oversee unless those are simulated with a stated skill. Added in contracts 2.1.
/// </remarks>
public interface IClaimChecker
{
    /// <summary>The claims of <paramref name="response"/>, in order: its working steps, then its final claim.</summary>
    /// <param name="response">A response to one of the task's prompts.</param>
    /// <returns>
    /// The steps and the final claim; a response without steps has only its final claim, and one that states no
    /// answer has its steps only.
    /// </returns>
    IReadOnlyList<Claim> Claims(Response response);

    /// <summary>Whether <paramref name="claim"/> is true, for a judge who can check up to <paramref name="verificationLimit"/>.</summary>
    /// <param name="claim">A claim from <see cref="Claims"/> or <see cref="Split"/>.</param>
    /// <param name="verificationLimit">The judge's limit, on the difficulty scale.</param>
    /// <returns>True or false when the claim's difficulty is at most the limit; null when it is beyond it.</returns>
    bool? Check(Claim claim, double verificationLimit);

    /// <summary>
    /// Smaller claims that all hold exactly when <paramref name="claim"/> holds (the recursion of Irving et al. 2018:
    /// a disputed claim beyond the judge's limit is split until a part is checkable).
    /// </summary>
    /// <param name="claim">A claim of this task.</param>
    /// <returns>
    /// The parts, each smaller than the claim (fewer operations or shorter operands; on the task's scale a part may
    /// still be as hard, when an intermediate result is long), or empty when it cannot be split further.
    /// </returns>
    IReadOnlyList<Claim> Split(Claim claim);

    /// <summary>
    /// The claim as a fully skilled solver states it: the same expression with its true result. For simulated agents
    /// whose skill is a stated parameter (honest debaters, revisers, critics with a recall), never for judges.
    /// </summary>
    /// <param name="claim">A claim of this task.</param>
    /// <returns>The corrected claim (equal to <paramref name="claim"/> when it is true), or null when the text is not a claim of this task.</returns>
    Claim? Corrected(Claim claim);

    /// <summary>
    /// The working of a false claim with its one false step at <paramref name="falseStep"/>: the parts
    /// <see cref="Split"/> states, except that the error sits in part <paramref name="falseStep"/> (0-based) and every
    /// later part is true given the parts before it, so the last part still carries the claim's (false) result. For
    /// simulated liars whose skill is a stated parameter (a debater hiding its false step at a chosen position).
    /// Added in contracts 2.4; the default places none (null), so a checker that does not implement it keeps its
    /// liars' false step where <see cref="Split"/> puts it.
    /// </summary>
    /// <param name="claim">A false claim of this task that splits.</param>
    /// <param name="falseStep">The 0-based index, among the parts, of the one false part.</param>
    /// <returns>
    /// The parts, or null when no such working exists: the claim is true or does not split, the index is out of
    /// range, or no error at that step reaches the claimed result through the later steps (for arithmetic: the later
    /// operations scale the error by a factor that does not divide the claim's error, or the false intermediate
    /// cannot be written where the notation needs it).
    /// </returns>
    IReadOnlyList<Claim>? SplitWithFalseStep(Claim claim, int falseStep) => null;
}
