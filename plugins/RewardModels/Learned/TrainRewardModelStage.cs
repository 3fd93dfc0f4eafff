using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using Microsoft.Extensions.Logging;

namespace AlignFx.RewardModels;

/// <summary>Options of <c>train-reward-model</c>.</summary>
public sealed class TrainRewardModelOptions
{
    /// <summary>The trainable reward model (<c>bradley-terry</c>, <c>ensemble</c>, ...).</summary>
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef Model { get; set; } = new() { Name = LearnedRewardsRegistration.BradleyTerry };

    /// <summary>The artifact key the trained model is left under (what the reward <c>trained</c> names with <c>key</c>).</summary>
    [Required, MinLength(1)]
    public string Name { get; set; } = TrainRewardModelStage.DefaultName;
}

/// <summary>
/// <c>train-reward-model</c>: creates the model, initialises a policy-initialised model from the pipeline's current
/// policy, trains it on the pipeline's <see cref="FeedbackDataset"/> (its pairwise labels), and leaves it as an
/// <see cref="IRewardModel"/> under <see cref="TrainRewardModelOptions.Name"/> with <see cref="EvaluationResults"/>
/// (subject and key <c>reward-model</c>: final loss, accuracies, labels used).
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class TrainRewardModelStage(TrainRewardModelOptions options) : IStage
{
    /// <summary>The default artifact key of the trained model.</summary>
    public const string DefaultName = "reward";

    /// <summary>The subject and artifact key of the stage's <see cref="EvaluationResults"/>.</summary>
    public const string ResultsKey = "reward-model";

    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        FeedbackDataset data = context.Artifacts.TryGet(ArtifactKeys.Feedback) ?? throw new InvalidOperationException(
            "train-reward-model needs feedback: run a 'collect-feedback' stage (kind 'pairwise') before it.");
        int labels = data.Pairwise.Count();
        if (labels == 0)
        {
            throw new InvalidOperationException(
                $"train-reward-model learns from pairwise labels, and the feedback dataset's {data.Records.Count} records hold none (collect-feedback with kind 'pairwise').");
        }
        ITrainableRewardModel model = context.Components.Create<IRewardModel>(options.Model) as ITrainableRewardModel
            ?? throw new InvalidOperationException($"The reward model '{options.Model.Name}' cannot be trained.");
        if (model is IPolicyInitialisedRewardModel initialised)
        {
            ISequenceEncoderSource source = context.Policy as ISequenceEncoderSource ?? throw new InvalidOperationException(
                $"The reward model '{options.Model.Name}' starts from the policy's weights, and the pipeline's policy ({context.Policy.GetType().Name}) cannot hand out an encoder (the gpt policy can).");
            initialised.InitialiseFrom(source);
        }
        EvaluationResults trained = await model.TrainAsync(data, context, ct).ConfigureAwait(false);
        var metrics = new Dictionary<string, double>(trained.Metrics, StringComparer.Ordinal) { [RewardModelMetrics.Labels] = labels };
        context.Artifacts.Set<IRewardModel>(model, options.Name);
        if (model is IDisclosesFacts disclosing)
        {
            // The model states its own loss for the run's disclosure card.
            context.Files.Contribute(options.Name, new ReportContribution(disclosing.DisclosureFacts, []));
        }
        context.Artifacts.Set(new EvaluationResults(ResultsKey, metrics), ResultsKey);
        context.Logger.LogInformation(
            "Trained reward model '{Name}' ({Model}) on {Labels} labels: accuracy {Accuracy:P1}, validation accuracy {Validation:P1}",
            options.Name, options.Model.Name, labels,
            metrics.GetValueOrDefault(MetricNames.RewardModel.Accuracy, double.NaN),
            metrics.GetValueOrDefault(MetricNames.RewardModel.ValidationAccuracy, double.NaN));
    }
}
