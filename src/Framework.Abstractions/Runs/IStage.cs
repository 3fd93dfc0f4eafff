using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Runs;

/// <summary>A pipeline stage (pretrain, collect feedback, train a reward model, optimise, oversee, evaluate, report).</summary>
public interface IStage
{
    /// <summary>Does the stage's work, reading and writing results through <see cref="IStageContext.Artifacts"/>.</summary>
    /// <param name="context">The run context plus the pipeline's state.</param>
    /// <param name="ct">Signalled when the run is stopped; stop at a safe point.</param>
    /// <returns>A task that completes when the stage is done.</returns>
    Task RunAsync(IStageContext context, CancellationToken ct);
}

/// <summary>What a stage sees: the run context, the pipeline's task and policy, and the results of earlier stages.</summary>
public interface IStageContext : IRunContext
{
    /// <summary>The pipeline's task.</summary>
    ITask Task { get; }

    /// <summary>
    /// The pipeline's current policy. A stage that trains it in place leaves it; a stage that produces a new policy
    /// (best-of-n, loading a checkpoint) sets it, and later stages see the new one.
    /// </summary>
    IPolicy Policy { get; set; }

    /// <summary>Typed results the stages pass to each other.</summary>
    IArtifactBag Artifacts { get; }

    /// <summary>Creates nested components named in the stage's options (<see cref="ComponentRef"/> properties).</summary>
    IComponentFactory Components { get; }
}
