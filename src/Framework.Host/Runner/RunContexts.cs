using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging;

namespace AlignFx.Host.Runner;

/// <summary>The run context the host gives every component: the run's seed, logger, metrics, files, progress.</summary>
internal class RunContext(RunRecorder recorder, long seed, ILogger logger, IProgressReporter progress, CancellationToken cancellation)
    : IRunContext
{
    public string RunId => recorder.RunId;
    public long Seed { get; } = seed;
    public ILogger Logger { get; } = logger;
    public IMetricSink Metrics { get; } = new RecorderMetricSink(recorder);
    public IArtifactStore Files { get; } = new RecorderArtifactStore(recorder);
    public IProgressReporter Progress { get; } = progress;
    public CancellationToken Cancellation { get; } = cancellation;
    public string Device => "cpu";
    public IFeedbackLog? FeedbackLog { get; } = new RecorderFeedbackLog(recorder);
}

/// <summary>
/// What one stage sees: the run context with a seed derived for this stage (so stages draw independent
/// streams), the pipeline's task and current policy, the artifacts earlier stages left, and the factory
/// for the components its options name.
/// </summary>
internal sealed class StageContext(
    RunRecorder recorder, long stageSeed, ILogger logger, IProgressReporter progress, CancellationToken cancellation,
    ITask task, IPolicy policy, IArtifactBag artifacts, IComponentFactory components)
    : RunContext(recorder, stageSeed, logger, progress, cancellation), IStageContext
{
    public ITask Task { get; } = task;
    public IPolicy Policy { get; set; } = policy;
    public IArtifactBag Artifacts { get; } = artifacts;
    public IComponentFactory Components { get; } = components;
}

internal sealed class RecorderMetricSink(RunRecorder recorder) : IMetricSink
{
    public void Log(string name, double value, long step) => recorder.LogMetric(name, step, value);
}

internal sealed class RecorderArtifactStore(RunRecorder recorder) : IArtifactStore
{
    public string RunDirectory => recorder.Folder;

    public string GetPath(string relativePath)
    {
        string path = recorder.GetPath(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public void Register(string relativePath, string kind, string? description = null) =>
        recorder.AddArtifact(description ?? Path.GetFileName(relativePath), kind, relativePath);
}
