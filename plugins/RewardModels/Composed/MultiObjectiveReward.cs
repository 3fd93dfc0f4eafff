using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels.Composed;

/// <summary>One objective of <c>multi-objective</c>: a named reward, its weight, and how to normalise it.</summary>
public sealed class WeightedObjectiveOptions
{
    /// <summary>The objective's name (optimisers log its batch mean as <c>reward/&lt;name&gt;</c>).</summary>
    [Required]
    [RegularExpression(ObjectiveNames.Pattern)]
    public string Name { get; set; } = "";

    /// <summary>The reward that scores this objective: any reward component, nested components included.</summary>
    [Required]
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef? Reward { get; set; }

    /// <summary>The weight w_i (for Tchebycheff, a larger weight pulls the chosen point closer to this objective's ideal).</summary>
    [Range(0.0, 1e6)]
    public double Weight { get; set; } = 1;

    /// <summary>The ideal value z_i* (in normalised units); required by Tchebycheff scalarisation, unused by linear.</summary>
    public double? Ideal { get; set; }

    /// <summary>Normalisation: the value subtracted from the raw reward before scalarising.</summary>
    [Range(-1e12, 1e12)]
    public double Offset { get; set; }

    /// <summary>Normalisation: what the shifted reward is divided by before scalarising (its typical spread).</summary>
    [Range(1e-12, 1e12)]
    public double Scale { get; set; } = 1;
}

/// <summary>Options of <c>multi-objective</c>.</summary>
public sealed class MultiObjectiveOptions : IValidatableObject
{
    /// <summary>The objectives, in the order <see cref="IMultiObjectiveRewardModel.Objectives"/> lists them.</summary>
    [Required]
    [MinLength(1)]
    public List<WeightedObjectiveOptions> Objectives { get; set; } = [];

    /// <summary>How the normalised objective values combine into one reward.</summary>
    public Scalarisation Scalarisation { get; set; } = Scalarisation.Linear;

    /// <summary>ρ of augmented Tchebycheff (adds <c>ρ·Σ w_i·R_i</c>; a small value such as 0.001 rules out weakly dominated choices); 0: plain.</summary>
    [Range(0.0, 1.0)]
    public double Augmentation { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ObjectiveNames.Duplicate(Objectives.Select(o => o.Name)) is { } duplicate)
        {
            yield return new ValidationResult($"names the objective '{duplicate}' twice; objective names must be unique", [nameof(Objectives)]);
        }
        if (Scalarisation == Scalarisation.Tchebycheff)
        {
            foreach (WeightedObjectiveOptions objective in Objectives.Where(o => o.Ideal is null))
            {
                yield return new ValidationResult(
                    $"objective '{objective.Name}' needs an 'ideal' value (z*) for Tchebycheff scalarisation", [nameof(Objectives)]);
            }
        }
    }
}

/// <summary>
/// <c>multi-objective</c>: several named objectives, each any reward component, combined into one reward. Each
/// objective's value is first normalised, <c>R̃_i = (R_i − offset_i)/scale_i</c>, then scalarised: linearly,
/// <c>Σ_i w_i·R̃_i</c>, or by Tchebycheff, <c>−max_i w_i·|z_i* − R̃_i| (+ ρ·Σ_i w_i·R̃_i)</c>.
/// <see cref="ScoreObjectivesAsync"/> returns the raw values R_i. The reward logs nothing itself (it has no step);
/// optimisers log each objective's batch mean as <c>reward/&lt;objective&gt;</c>.
/// </summary>
public sealed class MultiObjectiveReward : IMultiObjectiveRewardModel
{
    private readonly ObjectiveScorer _scorer;
    private readonly Scalarisation _scalarisation;
    private readonly double _augmentation;
    private readonly double[] _weights;
    private readonly double[] _ideal;
    private readonly double[] _offsets;
    private readonly double[] _scales;

    /// <summary>Creates the nested rewards.</summary>
    /// <param name="options">The objectives and the scalarisation.</param>
    /// <param name="components">Creates each objective's reward.</param>
    public MultiObjectiveReward(MultiObjectiveOptions options, IComponentFactory components)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(components);
        if (options.Objectives.Count == 0)
        {
            throw new ArgumentException("A multi-objective reward needs at least one objective.", nameof(options));
        }
        _scorer = new ObjectiveScorer(options.Objectives.Select(o => (o.Name, ObjectiveNames.RewardOf(o.Name, o.Reward))), components);
        _scalarisation = options.Scalarisation;
        _augmentation = options.Augmentation;
        _weights = [.. options.Objectives.Select(o => o.Weight)];
        _offsets = [.. options.Objectives.Select(o => o.Offset)];
        _scales = [.. options.Objectives.Select(o => o.Scale)];
        _ideal = [.. options.Objectives.Select(o => o.Ideal ?? (_scalarisation == Scalarisation.Tchebycheff
            ? throw new ArgumentException($"Objective '{o.Name}' needs an ideal value for Tchebycheff scalarisation.", nameof(options))
            : 0))];
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Objectives => _scorer.Names;

    /// <inheritdoc />
    public async Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        double[][] values = await _scorer.ScoreAsync(responses, ct).ConfigureAwait(false);
        var scores = new double[responses.Count];
        var normalised = new double[values.Length];
        for (int r = 0; r < scores.Length; r++)
        {
            for (int i = 0; i < values.Length; i++)
            {
                normalised[i] = (values[i][r] - _offsets[i]) / _scales[i];
            }
            scores[r] = _scalarisation == Scalarisation.Tchebycheff
                ? Scalarise.Tchebycheff(normalised, _weights, _ideal, _augmentation)
                : Scalarise.Linear(normalised, _weights);
        }
        return scores;
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, double[]>> ScoreObjectivesAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        _scorer.ScoreByNameAsync(responses, ct);
}

/// <summary>Rules for objective names, shared by the composite rewards.</summary>
internal static class ObjectiveNames
{
    /// <summary>Letters, digits, '_', '-' and '.': the name becomes part of a metric name.</summary>
    public const string Pattern = @"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$";

    public static string? Duplicate(IEnumerable<string> names) =>
        names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;

    public static ComponentRef RewardOf(string objective, ComponentRef? reward) =>
        reward ?? throw new ArgumentException($"Objective '{objective}' names no reward.");
}
