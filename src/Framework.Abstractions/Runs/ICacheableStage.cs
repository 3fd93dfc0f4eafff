namespace AlignFx.Abstractions.Runs;

/// <summary>
/// A stage whose effect on the pipeline can be saved after it ran and restored instead of running it again: the
/// host's stage cache. A stage is reused when its options, the options of everything before it, the run's seed, the
/// device and the assemblies of the components involved are identical to a stage already run; the metrics, feedback,
/// transcripts and files it recorded are copied into the new run, and <see cref="RestoreState"/> puts back what it
/// left in the pipeline. Added in contracts 2.1.
/// </summary>
public interface ICacheableStage : IStage
{
    /// <summary>
    /// Saves what the stage left for later stages (the policy's weights, its artifacts) into <paramref name="folder"/>,
    /// after <see cref="IStage.RunAsync"/> completed.
    /// </summary>
    /// <param name="context">The context the stage ran with.</param>
    /// <param name="folder">An empty folder that becomes part of the cache entry.</param>
    /// <returns>
    /// False when this run cannot be restored exactly (for example a random stream the stage leaves advanced that the
    /// folder cannot hold); then nothing is cached.
    /// </returns>
    bool TrySaveState(IStageContext context, string folder);

    /// <summary>
    /// Restores what <see cref="TrySaveState"/> saved, instead of running: afterwards later stages must see what
    /// <see cref="IStage.RunAsync"/> would have left. Called before the recorded values are copied, so a failure here
    /// leaves the run untouched and the host runs the stage instead.
    /// </summary>
    /// <param name="context">The context of the stage in the new run.</param>
    /// <param name="folder">The folder <see cref="TrySaveState"/> filled.</param>
    void RestoreState(IStageContext context, string folder);
}
