using AlignFx.Abstractions.Plugins;

namespace AlignFx.RewardModels;

/// <summary>Registration of rule, gold and multi-objective rewards.</summary>
public static class ComposedRewardsRegistration
{
    /// <summary>Registers the rule, gold and multi-objective reward components.</summary>
    public static IPluginBuilder AddComposedRewards(this IPluginBuilder builder) => builder;
}
