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
