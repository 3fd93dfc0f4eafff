using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Plugins;
using AlignFx.Critics;

[assembly: AlignFxPlugin(typeof(CriticsModule))]

namespace AlignFx.Critics;

/// <summary>Registers the critics and the stage that trains the learned one.</summary>
public sealed class CriticsModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddComponent<ScriptedCritic, ScriptedCriticOptions>(ComponentKinds.Critic, ScriptedCritic.Name,
            "Points at false claims (through the task's claim checker) with set recall and false-alarm rate; helpful or adversarial; tone and hint problems for principles that concern them.")
        .AddComponent<TrainedCritic, TrainedCriticOptions>(ComponentKinds.Critic, CriticComponents.Trained,
            "A policy fine-tuned by train-critic: reads a response's claims and names the earliest wrong one, or none; its accuracy is measured by the stage.")
        .AddComponent<ChatCritic, ChatCriticOptions>(ComponentKinds.Critic, CriticComponents.Chat,
            "Any chat model asked the principle's critique request; a reply 'step N', 'the answer', 'flaw' or 'none' (anything else, or a timeout, is recorded and is no critique).")
        .AddStage<TrainCriticStage, TrainCriticOptions>(CriticComponents.TrainCritic,
            "Fine-tunes a small policy into a critic on critiques the task's claim checker gives (never gold), and measures it on held-out responses.");
}
