using AlignFx.Abstractions.Plugins;

namespace AlignFx.Ppo;

/// <summary>Registration of the evaluate, overoptimisation-sweep and report stages.</summary>
public static class EvaluationRegistration
{
    /// <summary>Registers the evaluation and report stages.</summary>
    public static IPluginBuilder AddEvaluationStages(this IPluginBuilder builder) => builder;
}
