using AlignFx.Abstractions.Plugins;
using AlignFx.RewardModels;

[assembly: AlignFxPlugin(typeof(RewardModelsModule))]

namespace AlignFx.RewardModels;

/// <summary>Registers the learned rewards (Bradley–Terry models, ensembles, their stages) and the composed ones (rules, gold, multi-objective).</summary>
public sealed class RewardModelsModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddLearnedRewards()
        .AddComposedRewards();
}
