using System.ComponentModel.DataAnnotations;

namespace AlignFx.Feedback;

/// <summary>
/// Options of <c>simulated-human</c>: each switch is one feedback flaw of the RLHF survey (Casper et al. 2023).
/// An annotator's utility of a response is
/// <c>U = correctnessWeight·correct·[difficulty ≤ verificationLimit] + lengthBias·length + confidenceBias·confident + sycophancy·agrees_with_hint</c>;
/// it prefers the first of two responses with probability <c>σ((U₁ − U₂)/temperature)</c>, except that with
/// probability <c>randomRate</c> it answers by a fair coin. Poisoning annotators flip their answers.
/// </summary>
public sealed class SimulatedHumanOptions : IValidatableObject
{
    /// <summary>Rationality temperature: 0 (near) is a perfect maximiser of its utility, large is noisy.</summary>
    [Range(1e-6, 1e6)]
    public double Temperature { get; set; } = 0.25;

    /// <summary>Probability of answering at random (Christiano et al. 2017 assume 10%).</summary>
    [Range(0.0, 1.0)]
    public double RandomRate { get; set; } = 0.1;

    /// <summary>
    /// The highest difficulty (the task's <c>difficulty</c> feature) at which the annotator can check correctness;
    /// beyond it, correctness does not enter the utility and only surface features do (limited oversight).
    /// </summary>
    [Range(0.0, 1e6)]
    public double VerificationLimit { get; set; } = 1e6;

    /// <summary>What a correct (checkable) answer is worth in the utility.</summary>
    [Range(0.0, 1e6)]
    public double CorrectnessWeight { get; set; } = 1;

    /// <summary>Utility per character of length (positive: prefers longer responses).</summary>
    [Range(-1e3, 1e3)]
    public double LengthBias { get; set; }

    /// <summary>Utility of a confident tone (positive: swayed by confidence).</summary>
    [Range(-1e3, 1e3)]
    public double ConfidenceBias { get; set; }

    /// <summary>Utility of agreeing with the user's hint (positive: sycophancy).</summary>
    [Range(-1e3, 1e3)]
    public double Sycophancy { get; set; }

    /// <summary>How many annotators share the work; each query goes to one drawn uniformly.</summary>
    [Range(1, 10_000)]
    public int Annotators { get; set; } = 5;

    /// <summary>
    /// Fraction of the annotators who poison the data by flipping every answer (rounded to a whole number of
    /// annotators, chosen by the run's seed).
    /// </summary>
    [Range(0.0, 1.0)]
    public double PoisonFraction { get; set; }

    /// <summary>What one label costs (simulated dollars).</summary>
    [Range(0.0, 1e6)]
    public double CostPerLabel { get; set; } = 0.1;

    /// <summary>Mean time to answer one query, in seconds (each answer takes 0.5–1.5 times it).</summary>
    [Range(0.0, 86_400)]
    public double MeanLatencySeconds { get; set; } = 30;

    /// <summary>
    /// Per-annotator departures from the options above: entry <c>i</c> applies to <c>annotator-i</c>; unset fields
    /// keep the shared value.
    /// </summary>
    public List<AnnotatorProfile> Profiles { get; set; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Profiles.Count > Annotators)
        {
            yield return new ValidationResult($"has {Profiles.Count} profiles for {Annotators} annotators; give at most one profile per annotator", [nameof(Profiles)]);
        }
    }
}

/// <summary>One annotator's own parameters (null: the shared option's value).</summary>
public sealed class AnnotatorProfile
{
    /// <summary>See <see cref="SimulatedHumanOptions.Temperature"/>.</summary>
    [Range(1e-6, 1e6)]
    public double? Temperature { get; set; }

    /// <summary>See <see cref="SimulatedHumanOptions.RandomRate"/>.</summary>
    [Range(0.0, 1.0)]
    public double? RandomRate { get; set; }

    /// <summary>See <see cref="SimulatedHumanOptions.VerificationLimit"/>.</summary>
    [Range(0.0, 1e6)]
    public double? VerificationLimit { get; set; }

    /// <summary>See <see cref="SimulatedHumanOptions.CorrectnessWeight"/>.</summary>
    [Range(0.0, 1e6)]
    public double? CorrectnessWeight { get; set; }

    /// <summary>See <see cref="SimulatedHumanOptions.LengthBias"/>.</summary>
    [Range(-1e3, 1e3)]
    public double? LengthBias { get; set; }

    /// <summary>See <see cref="SimulatedHumanOptions.ConfidenceBias"/>.</summary>
    [Range(-1e3, 1e3)]
    public double? ConfidenceBias { get; set; }

    /// <summary>See <see cref="SimulatedHumanOptions.Sycophancy"/>.</summary>
    [Range(-1e3, 1e3)]
    public double? Sycophancy { get; set; }

    /// <summary>See <see cref="SimulatedHumanOptions.CostPerLabel"/>.</summary>
    [Range(0.0, 1e6)]
    public double? CostPerLabel { get; set; }

    /// <summary>True or false to make this annotator a poisoner or not, overriding <see cref="SimulatedHumanOptions.PoisonFraction"/>.</summary>
    public bool? Poisoner { get; set; }
}
