using AlignFx.Abstractions.Plugins;
using AlignFx.Ppo;

[assembly: AlignFxPlugin(typeof(PpoModule))]

namespace AlignFx.Ppo;

/// <summary>Registers the policy optimisers with their stage, and the evaluation, sweep and report stages.</summary>
public sealed class PpoModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddPolicyOptimizers()
        .AddEvaluationStages();
}
