using AlignFx.Abstractions.Plugins;
using AlignFx.Debate;

[assembly: AlignFxPlugin(typeof(DebateModule))]

namespace AlignFx.Debate;

/// <summary>Registers the debate, consultancy and direct protocols and the oversee, label-agreement, train-debaters and debater-moves stages.</summary>
public sealed class DebateModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) => builder
        .AddOversight<DebateProtocol, DebateOptions>(DebateNames.Debate,
            "Two debaters (scripted, a chat model or a policy of the run) defend two answers before a weak judge (simulated or a chat model); disputed claims are checked or split (Irving et al. 2018).")
        .AddOversight<ConsultancyProtocol, ConsultancyOptions>(DebateNames.Consultancy,
            "One consultant (scripted or a chat model), assigned the right answer with a set probability, argues for it; the judge questions and checks its claims.")
        .AddOversight<DirectProtocol, DirectOptions>(DebateNames.Direct,
            "The weak simulated judge alone: checks the answers within its limit, else goes by its biases (the naive baseline).")
        .AddStage<OverseeStage, OverseeOptions>(DebateNames.OverseeStage,
            "Measures an oversight method on questions of one right and one wrong answer: accuracy (on items the judge cannot check alone), swap disagreement, Elo, cost; transcripts.")
        .AddStage<LabelAgreementStage, LabelAgreementOptions>(DebateNames.LabelAgreementStage,
            "Measures the pipeline's pairwise labels against gold on prompts within and beyond a verification limit.")
        .AddStage<TrainDebatersStage, TrainDebatersOptions>(DebateNames.TrainDebatersStage,
            "Trains the policy as a debater by self-play with an optimiser (PPO) against the judge's verdict (+1/-1), against a scripted opponent or itself; logs win rates, Elo and judge accuracy.")
        .AddStage<DebaterMovesStage, DebaterMovesOptions>(DebateNames.DebaterMovesStage,
            "Leaves every legal debater move ('dispute N', 'pass') for the states of debates on a split as fine-tuning examples: the warm start of a policy debater.");
}
