using AlignFx.Abstractions.Plugins;
using AlignFx.LanguageModels;

[assembly: AlignFxPlugin(typeof(LanguageModelsModule))]

namespace AlignFx.LanguageModels;

/// <summary>Registers the <c>gpt</c> policy, the <c>pretrain</c> and <c>sft</c> stages and the <c>policy</c> chat model.</summary>
public sealed class LanguageModelsModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddPolicy<GptPolicy, GptOptions>("gpt",
            "A small decoder-only transformer over a character tokenizer built from the task's texts (random weights, or a checkpoint).")
        .AddStage<PretrainStage, PretrainOptions>("pretrain",
            "Next-token training of the gpt policy on the task's pretraining corpus (AdamW, warmup and decay, early stopping); saves a checkpoint.")
        .AddStage<SftStage, SftOptions>("sft",
            "Supervised fine-tuning of a trainable policy on responses an earlier stage left (critique-revise's revisions), response-only loss.")
        .AddChatModel<PolicyChatModel, PolicyChatModelOptions>(PolicyChatModel.Name,
            "A policy of this run as a chat model: the pipeline's current policy, one an earlier stage left under a key, or a gpt checkpoint.");
}
