using AlignFx.Abstractions.Plugins;
using AlignFx.Feedback;

[assembly: AlignFxPlugin(typeof(FeedbackModule))]

namespace AlignFx.Feedback;

/// <summary>Registers the feedback sources and the collect-feedback stage.</summary>
public sealed class FeedbackModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddFeedbackSource<SimulatedHumanSource, SimulatedHumanOptions>(SimulatedHumanSource.Name,
            "Boltzmann-rational simulated annotators with random answers, limited oversight, length/confidence/sycophancy biases and poisoners.")
        .AddFeedbackSource<AssistedFeedbackSource, AssistedFeedbackOptions>(AssistedFeedbackSource.Name,
            "Model-assisted feedback: a critic critiques each response; the wrapped source's evaluators check the claim it points at or weigh it by trust.")
        .AddFeedbackSource<GoldFeedbackSource, NoOptions>("gold", "The oracle: prefers the response with the higher gold score (ties 0.5).")
        .AddStage<CollectFeedbackStage, CollectFeedbackOptions>("collect-feedback",
            "Samples responses from the current policy, asks a feedback source about them and stores the labels.");
}
