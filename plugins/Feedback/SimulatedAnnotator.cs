using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Feedback;

/// <summary>One simulated annotator: its resolved parameters and its utility and choice model.</summary>
/// <param name="Name">Its name in provenance, <c>annotator-i</c>.</param>
/// <param name="Temperature">Rationality temperature.</param>
/// <param name="RandomRate">Probability of a coin-flip answer.</param>
/// <param name="VerificationLimit">Highest difficulty it can check.</param>
/// <param name="CorrectnessWeight">Utility of a checkable correct answer.</param>
/// <param name="LengthBias">Utility per character.</param>
/// <param name="ConfidenceBias">Utility of a confident tone.</param>
/// <param name="Sycophancy">Utility of agreeing with the hint.</param>
/// <param name="CostPerLabel">Cost of one label.</param>
/// <param name="Poisoner">Whether it flips its answers.</param>
public sealed record SimulatedAnnotator(
    string Name, double Temperature, double RandomRate, double VerificationLimit, double CorrectnessWeight,
    double LengthBias, double ConfidenceBias, double Sycophancy, double CostPerLabel, bool Poisoner)
{
    /// <summary>The annotator's utility of a response with these gold features.</summary>
    /// <param name="truth">The response's gold evaluation.</param>
    /// <returns>U (see <see cref="SimulatedHumanOptions"/>).</returns>
    public double Utility(GoldEvaluation truth)
    {
        ArgumentNullException.ThrowIfNull(truth);
        bool checkable = truth.Get(GoldFeatures.Difficulty) <= VerificationLimit;
        return (checkable ? CorrectnessWeight * truth.Get(GoldFeatures.Correct) : 0)
            + (LengthBias * truth.Get(GoldFeatures.Length))
            + (ConfidenceBias * truth.Get(GoldFeatures.Confident))
            + (Sycophancy * truth.Get(GoldFeatures.AgreesWithHint));
    }

    /// <summary>What an annotator believes about a response's correctness when it knows nothing more: 0.5.</summary>
    public const double PriorBelief = 0.5;

    /// <summary>Whether the annotator can check a response's correctness itself (its difficulty is within the limit).</summary>
    /// <param name="truth">The response's gold evaluation.</param>
    /// <returns>True when <c>difficulty ≤ verificationLimit</c>.</returns>
    public bool CanCheck(GoldEvaluation truth)
    {
        ArgumentNullException.ThrowIfNull(truth);
        return truth.Get(GoldFeatures.Difficulty) <= VerificationLimit;
    }

    /// <summary>
    /// The utility of a response whose correctness the annotator believes with probability <paramref name="belief"/>:
    /// <see cref="Utility"/> when it can check the response, else <see cref="Utility"/> plus
    /// <c>correctnessWeight·belief</c> (the belief stands in for the correctness it cannot see).
    /// </summary>
    /// <param name="truth">The response's gold evaluation (its surface features and difficulty).</param>
    /// <param name="belief">The annotator's belief that the response is right, in [0, 1].</param>
    /// <returns>The utility.</returns>
    public double AssistedUtility(GoldEvaluation truth, double belief) =>
        CanCheck(truth) ? Utility(truth) : Utility(truth) + (CorrectnessWeight * belief);

    /// <summary>
    /// How the annotator reads a critique of <paramref name="response"/>: with no critique, or one it does not
    /// trust at all, it keeps <see cref="PriorBelief"/>. A critique pointing at a claim within the verification limit
    /// is checked: a false claim is a flaw found (belief 0), a true one refutes the critique (the prior). Otherwise
    /// the critique is weighed by <paramref name="trust"/> τ: "flawed" moves the belief to <c>(1 − τ)·prior</c>,
    /// "no flaw found" to <c>prior + τ·(1 − prior)</c>.
    /// </summary>
    /// <param name="critique">The critique shown with the response, or null when none was shown.</param>
    /// <param name="response">The critiqued response.</param>
    /// <param name="claims">The task's claim checker, the annotator's only window on a claim's truth.</param>
    /// <param name="trust">How far the annotator takes an unverifiable critique at its word, in [0, 1].</param>
    /// <returns>The belief that the response is right, and whether the annotator found a flaw by checking.</returns>
    public CritiqueReading Believe(Critique? critique, Response response, IClaimChecker claims, double trust)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(claims);
        if (critique is null)
        {
            return new CritiqueReading(PriorBelief, false);
        }
        if (!critique.Flawed)
        {
            return new CritiqueReading(PriorBelief + (trust * (1 - PriorBelief)), false);
        }
        if (critique.ClaimIndex is int index && claims.Claims(response) is var all && index >= 0 && index < all.Count
            && claims.Check(all[index], VerificationLimit) is bool holds)
        {
            return holds ? new CritiqueReading(PriorBelief, false) : new CritiqueReading(0, true);
        }
        return new CritiqueReading((1 - trust) * PriorBelief, false);
    }

    /// <summary>The Boltzmann-rational probability of preferring the first response, before random answers and poisoning.</summary>
    /// <param name="first">The first response's gold evaluation.</param>
    /// <param name="second">The second's.</param>
    /// <returns>σ((U₁ − U₂)/T).</returns>
    public double RationalPreferFirst(GoldEvaluation first, GoldEvaluation second) =>
        Sigmoid((Utility(first) - Utility(second)) / Temperature);

    /// <summary>
    /// The probability that this annotator's label says the first response is better, random answers and poisoning
    /// included: <c>ε/2 + (1 − ε)·p</c>, or one minus that for a poisoner.
    /// </summary>
    /// <param name="first">The first response's gold evaluation.</param>
    /// <param name="second">The second's.</param>
    /// <returns>The probability.</returns>
    public double LabelPrefersFirst(GoldEvaluation first, GoldEvaluation second)
    {
        double honest = (RandomRate / 2) + ((1 - RandomRate) * RationalPreferFirst(first, second));
        return Poisoner ? 1 - honest : honest;
    }

    /// <summary>The logistic function.</summary>
    /// <param name="x">Any number.</param>
    /// <returns>1 / (1 + e^−x).</returns>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}

/// <summary>What an annotator made of a critique.</summary>
/// <param name="Belief">Its belief that the response is right, in [0, 1].</param>
/// <param name="FlawFound">Whether it checked the claim the critique points at and found it false.</param>
public readonly record struct CritiqueReading(double Belief, bool FlawFound);
