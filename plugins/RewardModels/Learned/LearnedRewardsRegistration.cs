using AlignFx.Abstractions.Plugins;

namespace AlignFx.RewardModels;

/// <summary>Registration of the learned reward models, their stages and the active query selector.</summary>
public static class LearnedRewardsRegistration
{
    /// <summary>The component name of <see cref="BradleyTerryRewardModel"/>.</summary>
    public const string BradleyTerry = "bradley-terry";

    /// <summary>The component name of <see cref="TrainedRewardModel"/>.</summary>
    public const string Trained = "trained";

    /// <summary>Registers the learned reward components and stages.</summary>
    /// <param name="builder">The plugin builder.</param>
    /// <returns>The same builder.</returns>
    public static IPluginBuilder AddLearnedRewards(this IPluginBuilder builder) => builder
        .AddRewardModel<BradleyTerryRewardModel, BradleyTerryOptions>(BradleyTerry,
            "Bradley–Terry reward model: the policy's trunk plus a scalar head, trained on pairwise labels (soft labels, random-answer mixture).")
        .AddRewardModel<EnsembleRewardModel, EnsembleOptions>("ensemble",
            "k Bradley–Terry members on bootstrap resamples; mean, worst-case (WCO) or uncertainty-weighted (UWO) aggregation.")
        .AddRewardModel<TrainedRewardModel, TrainedRewardOptions>(Trained,
            "The reward model a train-reward-model stage left under a key; optionally one ensemble member or another aggregation.")
        .AddQuerySelector<EnsembleDisagreementSelector, EnsembleDisagreementOptions>("ensemble-disagreement",
            "Active learning: the pairwise queries whose ensemble members disagree most on the predicted preference.")
        .AddStage<TrainRewardModelStage, TrainRewardModelOptions>("train-reward-model",
            "Trains a reward model on the pipeline's pairwise feedback and leaves it under a key.")
        .AddStage<EvaluateRewardModelStage, EvaluateRewardModelOptions>("evaluate-reward-model",
            "Held-out pairwise accuracy against gold, calibration, distribution shift and the reward's correlation with each gold feature.");
}
