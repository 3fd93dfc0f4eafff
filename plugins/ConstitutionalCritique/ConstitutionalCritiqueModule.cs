using AlignFx.Abstractions.Plugins;
using AlignFx.ConstitutionalCritique;

[assembly: AlignFxPlugin(typeof(ConstitutionalCritiqueModule))]

namespace AlignFx.ConstitutionalCritique;

/// <summary>Registers the simulated AI labeller, AI feedback and the SL-CAI and per-principle stages.</summary>
public sealed class ConstitutionalCritiqueModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddFeedbackSource<SimulatedAiLabeller, SimulatedAiOptions>(CaiComponents.SimulatedAi,
            "A simulated AI labeller with position bias, self-preference, verbosity bias and principle literalism as switches; soft labels.")
        .AddFeedbackSource<AiFeedbackSource, AiFeedbackOptions>(CaiComponents.AiFeedback,
            "RLAIF: samples a principle of the constitution per pair, asks the feedback model in both orders and averages the log-odds into a soft label.")
        .AddStage<CritiqueReviseStage, CritiqueReviseOptions>(CaiComponents.CritiqueRevise,
            "SL-CAI: samples responses, then R rounds of (sample a principle, critique, revise through the task's claims), keeping every revision.")
        .AddStage<PrincipleAgreementStage, NoOptions>(CaiComponents.PrincipleAgreement,
            "Agreement of the collected AI labels with the gold preference, per principle.");
}
