using AlignFx.Abstractions.Plugins;
using AlignFx.ChatModels;

[assembly: AlignFxPlugin(typeof(ChatModelsModule))]

namespace AlignFx.ChatModels;

/// <summary>Registers the <c>openai-compatible</c> chat model and the <c>chat-feedback</c> source.</summary>
public sealed class ChatModelsModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddChatModel<OpenAICompatibleChatModel, OpenAICompatibleOptions>(OpenAICompatibleChatModel.Name,
            "A model on any OpenAI-compatible server (vLLM, Ollama, llama.cpp, hosted APIs, alignfx serve); the API key comes from a named environment variable.")
        .AddFeedbackSource<ChatFeedbackSource, ChatFeedbackOptions>(ChatFeedbackSource.Name,
            "A chat model as the labeller of pairwise queries (reference-guided or direct judging); transcripts and token cost go with each label.");
}
