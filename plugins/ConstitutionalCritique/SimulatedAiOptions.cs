using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.ConstitutionalCritique;

/// <summary>
/// Options of <c>simulated-ai</c>, a simulated AI labeller whose switches are AI feedback's known flaws. Under a
/// principle P its utility of a response is
/// <c>U = (1 − literalism)·correct·[difficulty ≤ verificationLimit] − literalism·broken(P) + verbosityBias·length + selfPreference·ownStyle</c>
/// (<c>broken(P)</c>: how many of P's concerns the response breaks by the letter, see <see cref="PrincipleViolations"/>;
/// with no principle the first term has weight 1 and the second is absent). Asked about two responses in an order, it
/// reports <c>p = σ((U₁ − U₂)/temperature + positionBias + ε)</c> that the first is better, with ε ~ N(0, noise²) per call.
/// </summary>
public sealed class SimulatedAiOptions : IValidatableObject
{
    /// <summary>How sharply utility differences become probabilities (small: sure of itself).</summary>
    [Range(1e-6, 1e6)]
    public double Temperature { get; set; } = 0.25;

    /// <summary>Standard deviation of the per-call noise on the log-odds (a model's sampling variability).</summary>
    [Range(0.0, 100.0)]
    public double Noise { get; set; } = 0.5;

    /// <summary>Log-odds added in favour of the response shown first (position bias; negative favours the second).</summary>
    [Range(-100.0, 100.0)]
    public double PositionBias { get; set; }

    /// <summary>Utility of a response in the labeller's own style (self-preference).</summary>
    [Range(-1e3, 1e3)]
    public double SelfPreference { get; set; }

    /// <summary>The gold feature that marks the labeller's own style (1 when a response has it).</summary>
    [Required]
    public string OwnStyle { get; set; } = GoldFeatures.Hedged;

    /// <summary>Utility per character of length (verbosity bias).</summary>
    [Range(-1e3, 1e3)]
    public double VerbosityBias { get; set; }

    /// <summary>How far the labeller follows a principle's letter (its concerns' surface features) over its spirit (a right answer): 0 spirit only, 1 letter only.</summary>
    [Range(0.0, 1.0)]
    public double Literalism { get; set; } = 0.25;

    /// <summary>The highest difficulty at which the labeller can tell a right answer from a wrong one.</summary>
    [Range(0.0, 1e6)]
    public double VerificationLimit { get; set; } = 1e6;

    /// <summary>What one call costs (simulated dollars; an AI label is far cheaper than a person's).</summary>
    [Range(0.0, 1e6)]
    public double CostPerCall { get; set; } = 0.001;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Constitution.KnownConcerns.Contains(OwnStyle, StringComparer.Ordinal))
        {
            yield return new ValidationResult($"'{OwnStyle}' is not a feature the labeller can see; use one of {string.Join(", ", Constitution.KnownConcerns)}", [nameof(OwnStyle)]);
        }
    }
}
