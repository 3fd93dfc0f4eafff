using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;
using AlignFx.TestPlugins.Throwing;

[assembly: AlignFxPlugin(typeof(ThrowingModule))]

namespace AlignFx.TestPlugins.Throwing;

/// <summary>Registers a component, then throws: the host must keep nothing of it.</summary>
public sealed class ThrowingModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder)
    {
        builder.AddRewardModel<ConstantReward, NoOptions>("constant", "Scores every response 1.");
        throw new InvalidOperationException("the test plugin cannot find its configuration file.");
    }
}

/// <summary>Scores every response 1.</summary>
public sealed class ConstantReward : IRewardModel
{
    /// <inheritdoc />
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<double>>([.. responses.Select(_ => 1.0)]);
}
