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
}
