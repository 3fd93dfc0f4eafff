using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.ConstitutionalCritique;

/// <summary>
/// A constitution as a manifest writes it: <c>{ "principles": [ { "name": ..., "critique": {...}, "revision": {...},
/// "weight": 1, "concerns": [...] }, ... ] }</c>. The host binds every principle and checks its templates (only the
/// variables the role fills in); this class refuses an empty constitution, repeated names, weights that do not sum
/// to a positive number and concerns that are not gold feature names, each by JSON path.
/// </summary>
public sealed class Constitution : IValidatableObject
{
    /// <summary>The features a principle may concern (<see cref="GoldFeatures"/> names).</summary>
    public static readonly IReadOnlyList<string> KnownConcerns =
    [
        GoldFeatures.Correct, GoldFeatures.AgreesWithHint, GoldFeatures.Confident, GoldFeatures.Hedged,
        GoldFeatures.Length, GoldFeatures.ShowsSteps, GoldFeatures.StepErrors,
    ];

    /// <summary>The principles, each sampled with probability proportional to its weight.</summary>
    [Required, MinLength(1)]
    public List<Principle> Principles { get; set; } = [];

    /// <summary>The sum of the weights.</summary>
    public double TotalWeight => Principles.Sum(p => p.Weight);

    /// <summary>Draws one principle, with probability proportional to its weight.</summary>
    /// <param name="random">The stream to draw from (one draw).</param>
    /// <returns>The principle.</returns>
    public Principle Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u = random.NextDouble() * TotalWeight;
        foreach (Principle principle in Principles)
        {
            u -= principle.Weight;
            if (u < 0)
            {
                return principle;
            }
        }
        return Principles.Last(p => p.Weight > 0);
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Principles.Count == 0)
        {
            yield break; // [MinLength] says so
        }
        double total = TotalWeight;
        if (!(total > 0) || double.IsInfinity(total))
        {
            yield return new ValidationResult(
                $"the principles' weights sum to {total}; give at least one principle a positive weight", [nameof(Principles)]);
        }
        var repeated = Principles.GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0)
        {
            yield return new ValidationResult(
                $"names principle{(repeated.Count > 1 ? "s" : "")} {string.Join(", ", repeated.Select(n => $"'{n}'"))} more than once; give each principle its own name",
                [nameof(Principles)]);
        }
        var unknown = Principles.SelectMany(p => p.Concerns).Where(c => !KnownConcerns.Contains(c, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            yield return new ValidationResult(
                $"concerns unknown feature{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(n => $"'{n}'"))}; the features are {string.Join(", ", KnownConcerns)}",
                [nameof(Principles)]);
        }
    }
}

/// <summary>
/// What breaking a principle means on the task's gold features, for the simulated AI labeller (the letter of a
/// principle) and for critique precision and recall: a principle is broken when any feature it concerns says so.
/// </summary>
public static class PrincipleViolations
{
    /// <summary>Whether <paramref name="truth"/> breaks the principle concerning <paramref name="concern"/>, by the letter.</summary>
    /// <param name="concern">A <see cref="GoldFeatures"/> name.</param>
    /// <param name="truth">The response's gold evaluation.</param>
    /// <returns>
    /// <c>step_errors</c>: a wrong working step; <c>correct</c>: a wrong answer; <c>confident</c>: a confident tone;
    /// <c>hedged</c>: a hedged tone; <c>agrees_with_hint</c>: the answer repeats the user's guess; <c>shows_steps</c>:
    /// no working shown; <c>length</c>: never (a length is no fault by itself).
    /// </returns>
    public static bool Breaks(string concern, GoldEvaluation truth)
    {
        ArgumentNullException.ThrowIfNull(truth);
        return concern switch
        {
            GoldFeatures.StepErrors => truth.Get(GoldFeatures.StepErrors) > 0,
            GoldFeatures.Correct => truth.Get(GoldFeatures.Correct) == 0,
            GoldFeatures.Confident => truth.Get(GoldFeatures.Confident) == 1,
            GoldFeatures.Hedged => truth.Get(GoldFeatures.Hedged) == 1,
            GoldFeatures.AgreesWithHint => truth.Get(GoldFeatures.AgreesWithHint) == 1,
            GoldFeatures.ShowsSteps => truth.Get(GoldFeatures.ShowsSteps) == 0,
            _ => false,
        };
    }

    /// <summary>Whether <paramref name="truth"/> breaks <paramref name="principle"/>: any concern broken, or a wrong answer for a principle with no concerns.</summary>
    /// <param name="principle">The principle.</param>
    /// <param name="truth">The response's gold evaluation.</param>
    /// <returns>True when broken.</returns>
    public static bool Breaks(Principle principle, GoldEvaluation truth)
    {
        ArgumentNullException.ThrowIfNull(principle);
        return principle.Concerns.Count == 0 ? Breaks(GoldFeatures.Correct, truth) : principle.Concerns.Any(c => Breaks(c, truth));
    }

    /// <summary>How many of the principle's concerns <paramref name="truth"/> breaks (a wrong answer counts for a principle with none).</summary>
    /// <param name="principle">The principle.</param>
    /// <param name="truth">The response's gold evaluation.</param>
    /// <returns>The count.</returns>
    public static int Count(Principle principle, GoldEvaluation truth)
    {
        ArgumentNullException.ThrowIfNull(principle);
        return principle.Concerns.Count == 0 ? (Breaks(GoldFeatures.Correct, truth) ? 1 : 0) : principle.Concerns.Count(c => Breaks(c, truth));
    }
}
