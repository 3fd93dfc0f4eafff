using AlignFx.Abstractions.Plugins;
using AlignFx.RewardModels.Composed;

namespace AlignFx.RewardModels;

/// <summary>Registration of rule, gold and multi-objective rewards.</summary>
public static class ComposedRewardsRegistration
{
    /// <summary>Registers the rule, gold and multi-objective reward components.</summary>
    /// <param name="builder">The plugin builder.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IPluginBuilder AddComposedRewards(this IPluginBuilder builder) => builder
        .AddRewardModel<LengthPenaltyReward, LengthPenaltyOptions>("length-penalty",
            "Rule: −coefficient·max(0, characters − target).")
        .AddRewardModel<FormatReward, FormatOptions>("format",
            "Rule: format checks (required and forbidden patterns, a length limit); 1/0 or a penalty per failed check.")
        .AddRewardModel<RegexReward, RegexRewardOptions>("regex",
            "Rule: weight × matches of a regular expression (or weight × [any match]).")
        .AddRewardModel<GoldReward, GoldRewardOptions>("gold",
            "The task's gold evaluator as a reward (its score, or one labelled feature).")
        .AddRewardModel<MultiObjectiveReward, MultiObjectiveOptions>("multi-objective",
            "Named objectives from any rewards, combined linearly or by Tchebycheff scalarisation.")
        .AddRewardModel<ConstrainedReward, ConstrainedRewardOptions>("constrained",
            "Maximise one reward subject to E[cost] ≤ threshold constraints, as R − Σ λ·C with multipliers the optimiser updates.");
}
