using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels;

/// <summary>Options of <c>trained</c>.</summary>
public sealed class TrainedRewardOptions
{
    /// <summary>The artifact key the <c>train-reward-model</c> stage left the model under (its option <c>name</c>).</summary>
    [Required, MinLength(1)]
    public string Key { get; set; } = TrainRewardModelStage.DefaultName;

    /// <summary>For an ensemble: a different aggregation than the one it was trained with (null: as trained).</summary>
    public EnsembleAggregation? Aggregation { get; set; }

    /// <summary>For an ensemble: λ of uncertainty-weighted aggregation (null: as trained).</summary>
    [Range(0.0, 1e6)]
    public double? UncertaintyPenalty { get; set; }

    /// <summary>For an ensemble: one member alone, by index (the "single proxy" of ensemble comparisons); null: the ensemble.</summary>
    [Range(0, 63)]
    public int? Member { get; set; }
}

/// <summary>
/// <c>trained</c>: the reward model an earlier <c>train-reward-model</c> stage left in the run's artifacts, found
/// lazily on first use (so components can be created before the stage has run), optionally viewed as one ensemble
/// member or with another aggregation.
/// </summary>
/// <param name="options">Which model, and which view of it.</param>
/// <param name="artifacts">The run's artifacts.</param>
public sealed class TrainedRewardModel(TrainedRewardOptions options, IArtifactBag artifacts) : IRewardModel
{
    private IRewardModel? _resolved;

    /// <inheritdoc />
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Resolve().ScoreAsync(responses, ct);

    /// <summary>The model (or view) this component stands for.</summary>
    /// <returns>The resolved reward model.</returns>
    /// <exception cref="InvalidOperationException">No model is stored under the key, or a view asks for an ensemble and the model is not one.</exception>
    public IRewardModel Resolve()
    {
        if (_resolved is not null)
        {
            return _resolved;
        }
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(artifacts);
        IRewardModel model = artifacts.TryGet<IRewardModel>(options.Key) ?? throw new InvalidOperationException(
            $"No trained reward model under the key '{options.Key}': a 'train-reward-model' stage with name '{options.Key}' must run before the stage that uses the reward 'trained'.");
        if (options.Member is null && options.Aggregation is null && options.UncertaintyPenalty is null)
        {
            return _resolved = model;
        }
        if (model is not EnsembleRewardModel ensemble)
        {
            throw new InvalidOperationException(
                $"The reward model '{options.Key}' is not an ensemble, so 'member' and 'aggregation' do not apply (train it with model 'ensemble').");
        }
        if (options.Member is int member)
        {
            return _resolved = member < ensemble.Options.Members
                ? new ViewOf((responses, ct) => ensemble.Members[member].ScoreAsync(responses, ct))
                : throw new InvalidOperationException($"The ensemble '{options.Key}' has {ensemble.Options.Members} members; member {member} does not exist.");
        }
        EnsembleAggregation aggregation = options.Aggregation ?? ensemble.Options.Aggregation;
        double penalty = options.UncertaintyPenalty ?? ensemble.Options.UncertaintyPenalty;
        return _resolved = new ViewOf((responses, ct) => ensemble.ScoreAsync(responses, aggregation, penalty, ct));
    }

    private sealed class ViewOf(Func<IReadOnlyList<Response>, CancellationToken, Task<IReadOnlyList<double>>> score) : IRewardModel
    {
        public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) => score(responses, ct);
    }
}
