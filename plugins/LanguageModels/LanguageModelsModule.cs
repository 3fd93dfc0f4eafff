using AlignFx.Abstractions.Plugins;
using AlignFx.LanguageModels;

[assembly: AlignFxPlugin(typeof(LanguageModelsModule))]

namespace AlignFx.LanguageModels;

/// <summary>Registers the <c>gpt</c> policy and the <c>pretrain</c> stage.</summary>
public sealed class LanguageModelsModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddPolicy<GptPolicy, GptOptions>("gpt",
            "A small decoder-only transformer over a character tokenizer built from the task's texts (random weights, or a checkpoint).")
        .AddStage<PretrainStage, PretrainOptions>("pretrain",
            "Next-token training of the gpt policy on the task's pretraining corpus (AdamW, warmup and decay, early stopping); saves a checkpoint.");
}
