using AlignFx.Abstractions.Plugins;

namespace AlignFx.Ppo;

/// <summary>Registration of the policy optimisers and the optimise stage.</summary>
public static class OptimizersRegistration
{
    /// <summary>Registers the <c>ppo</c> and <c>best-of-n</c> optimisers and the <c>optimize</c> stage.</summary>
    /// <param name="builder">The plugin builder.</param>
    /// <returns>The same builder.</returns>
    public static IPluginBuilder AddPolicyOptimizers(this IPluginBuilder builder) => builder
        .AddOptimizer<PpoOptimizer, PpoOptions>("ppo",
            "PPO with a per-token KL penalty (adaptive or fixed), GAE and a value head, as TRL v0.11; dual ascent on the multipliers of a constrained reward.")
        .AddOptimizer<BestOfNOptimizer, BestOfNOptions>("best-of-n",
            "Best-of-n sampling: answers with the highest-reward of n samples; KL log n - (n-1)/n.")
        .AddStage<OptimizeStage, OptimizeOptions>("optimize",
            "Optimises the pipeline's policy against a reward with an optimiser; keeps the starting policy as the 'base' artifact.");
}
