using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Plugins;
using AlignFx.Critics;

[assembly: AlignFxPlugin(typeof(CriticsModule))]

namespace AlignFx.Critics;

/// <summary>Registers the critics.</summary>
public sealed class CriticsModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddComponent<ScriptedCritic, ScriptedCriticOptions>(ComponentKinds.Critic, ScriptedCritic.Name,
            "Points at false claims (through the task's claim checker) with set recall and false-alarm rate; helpful or adversarial; tone and hint problems for principles that concern them.");
}
