using AlignFx.Abstractions.Plugins;

namespace AlignFx.RewardModels;

/// <summary>Registration of the learned reward models and their stages.</summary>
public static class LearnedRewardsRegistration
{
    /// <summary>Registers the learned reward components and stages.</summary>
    public static IPluginBuilder AddLearnedRewards(this IPluginBuilder builder) => builder;
}
