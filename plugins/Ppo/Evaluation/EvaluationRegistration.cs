using AlignFx.Abstractions.Plugins;
using AlignFx.Ppo.Evaluation;

namespace AlignFx.Ppo;

/// <summary>Registration of the evaluate, overoptimisation-sweep and report stages.</summary>
public static class EvaluationRegistration
{
    /// <summary>Registers the evaluation and report stages.</summary>
    public static IPluginBuilder AddEvaluationStages(this IPluginBuilder builder) => builder
        .AddStage<EvaluateStage, EvaluateOptions>("evaluate",
            "Task metrics of the base and the current policy on held-out prompts, with sample responses before and after")
        .AddStage<OveroptimisationStage, OveroptimisationOptions>("overoptimisation",
            "Gao et al. sweep: best-of-n (unbiased estimator) and RL with several KL coefficients against proxies, with fits of gold against sqrt(KL)")
        .AddStage<ReportStage, ReportOptions>("report",
            "Markdown summary and self-contained HTML report with plots, sample responses and the RLHF disclosure card");
}
