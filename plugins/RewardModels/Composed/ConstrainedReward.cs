using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels.Composed;

/// <summary>The maximised objective of <c>constrained</c>.</summary>
public sealed class PrimaryObjectiveOptions
{
    /// <summary>The objective's name (optimisers log its batch mean as <c>reward/&lt;name&gt;</c>).</summary>
    [Required]
    [RegularExpression(ObjectiveNames.Pattern)]
    public string Name { get; set; } = "reward";

    /// <summary>The reward maximised.</summary>
    [Required]
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef? Reward { get; set; }
}

/// <summary>One constraint of <c>constrained</c>: the expectation of a cost must stay at or under a threshold.</summary>
public sealed class ConstraintOptions
{
    /// <summary>The constrained objective's name (optimisers log <c>reward/&lt;name&gt;</c> and <c>lagrange/&lt;name&gt;</c>).</summary>
    [Required]
    [RegularExpression(ObjectiveNames.Pattern)]
    public string Name { get; set; } = "";

    /// <summary>The reward read as a cost C (higher is worse), for example <c>gold</c> with <c>feature: agrees_with_hint</c>.</summary>
    [Required]
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef? Reward { get; set; }

    /// <summary>The bound on E[C].</summary>
    [Range(-1e12, 1e12)]
    public double Threshold { get; set; }

    /// <summary>The Lagrange multiplier λ at the start.</summary>
    [Range(0.0, 1e6)]
    public double InitialMultiplier { get; set; }
}

/// <summary>Options of <c>constrained</c>.</summary>
public sealed class ConstrainedRewardOptions : IValidatableObject
{
    /// <summary>The objective maximised.</summary>
    [Required]
    public PrimaryObjectiveOptions? Objective { get; set; }

    /// <summary>The constraints, each with its own multiplier.</summary>
    [Required]
    [MinLength(1)]
    public List<ConstraintOptions> Constraints { get; set; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        IEnumerable<string> names = Constraints.Select(c => c.Name);
        if (Objective is not null)
        {
            names = names.Prepend(Objective.Name);
        }
        if (ObjectiveNames.Duplicate(names) is { } duplicate)
        {
            yield return new ValidationResult($"names the objective '{duplicate}' twice; the objective's and the constraints' names must be unique", [nameof(Constraints)]);
        }
    }
}

/// <summary>
/// <c>constrained</c> (Safe RLHF style): maximise one objective R subject to E[C_j] ≤ threshold_j for each
/// constraint, as the Lagrangian <c>R − Σ_j λ_j·C_j</c>. <see cref="ScoreAsync"/> uses each constraint's current
/// <see cref="RewardConstraint.Multiplier"/>; <see cref="ScoreObjectivesAsync"/> returns the raw R and C_j. The
/// optimiser updates the multipliers after each batch with <see cref="RewardConstraint.UpdateMultiplier"/>
/// (<c>λ ← max(0, λ + η·(mean C − threshold))</c>) and logs <c>lagrange/&lt;constraint&gt;</c> and
/// <c>reward/&lt;objective&gt;</c>; this reward logs nothing itself.
/// </summary>
public sealed class ConstrainedReward : IConstrainedRewardModel
{
    private readonly ObjectiveScorer _scorer;
    private readonly RewardConstraint[] _constraints;

    /// <summary>Creates the nested rewards and the constraints at their initial multipliers.</summary>
    /// <param name="options">The objective and the constraints.</param>
    /// <param name="components">Creates each objective's reward.</param>
    public ConstrainedReward(ConstrainedRewardOptions options, IComponentFactory components)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(components);
        PrimaryObjectiveOptions objective = options.Objective
            ?? throw new ArgumentException("A constrained reward needs an objective to maximise.", nameof(options));
        if (options.Constraints.Count == 0)
        {
            throw new ArgumentException("A constrained reward needs at least one constraint.", nameof(options));
        }
        _scorer = new ObjectiveScorer(
            options.Constraints.Select(c => (c.Name, ObjectiveNames.RewardOf(c.Name, c.Reward)))
                .Prepend((objective.Name, ObjectiveNames.RewardOf(objective.Name, objective.Reward))),
            components);
        _constraints = [.. options.Constraints.Select(c => new RewardConstraint(c.Name, c.Threshold, c.InitialMultiplier))];
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Objectives => _scorer.Names;

    /// <inheritdoc />
    public IReadOnlyList<RewardConstraint> Constraints => _constraints;

    /// <inheritdoc />
    public async Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        // values[0] is the objective, values[1 + j] constraint j (the scorer's order).
        double[][] values = await _scorer.ScoreAsync(responses, ct).ConfigureAwait(false);
        var scores = (double[])values[0].Clone();
        for (int j = 0; j < _constraints.Length; j++)
        {
            double multiplier = _constraints[j].Multiplier;
            for (int r = 0; r < scores.Length; r++)
            {
                scores[r] -= multiplier * values[1 + j][r];
            }
        }
        return scores;
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, double[]>> ScoreObjectivesAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        _scorer.ScoreByNameAsync(responses, ct);
}
