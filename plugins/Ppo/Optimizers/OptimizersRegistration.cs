using AlignFx.Abstractions.Plugins;

namespace AlignFx.Ppo;

/// <summary>Registration of the policy optimisers and the optimise stage.</summary>
public static class OptimizersRegistration
{
    /// <summary>Registers the optimisers and the optimise stage.</summary>
    public static IPluginBuilder AddPolicyOptimizers(this IPluginBuilder builder) => builder;
}
