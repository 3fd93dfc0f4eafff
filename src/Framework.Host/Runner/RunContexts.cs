using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Store;
using MetricPoint = AlignFx.Abstractions.Runs.MetricPoint;
using Microsoft.Extensions.Logging;

namespace AlignFx.Host.Runner;

/// <summary>The run context the host gives every component: the run's seed, logger, metrics, files, progress.</summary>
internal class RunContext(RunRecorder recorder, RunMetrics metrics, long seed, ILogger logger, IProgressReporter progress, CancellationToken cancellation)
    : IRunContext
{
    public string RunId => recorder.RunId;
    public long Seed { get; } = seed;
    public ILogger Logger { get; } = logger;
    public IMetricSink Metrics => metrics;
    public IArtifactStore Files { get; } = new RecorderArtifactStore(recorder);
    public IProgressReporter Progress { get; } = progress;
    public CancellationToken Cancellation { get; } = cancellation;
    public string Device { get; } = AlignFx.Tensors.torch.get_default_device().ToString();
    public IFeedbackLog? FeedbackLog { get; } = new RecorderFeedbackLog(recorder);
    public IMetricHistory? MetricHistory => metrics;
    public ITranscriptLog? TranscriptLog { get; } = new RecorderTranscriptLog(recorder);
}

/// <summary>
/// What one stage sees: the run context with a seed derived for this stage (so stages draw independent
/// streams), the pipeline's task and current policy, the artifacts earlier stages left, and the factory
/// for the components its options name.
/// </summary>
internal sealed class StageContext(
    RunRecorder recorder, RunMetrics metrics, long stageSeed, ILogger logger, IProgressReporter progress, CancellationToken cancellation,
    ITask task, IPolicy policy, IArtifactBag artifacts, IComponentFactory components)
    : RunContext(recorder, metrics, stageSeed, logger, progress, cancellation), IStageContext
{
    public ITask Task { get; } = task;
    public IPolicy Policy { get; set; } = policy;
    public IArtifactBag Artifacts { get; } = artifacts;
    public IComponentFactory Components { get; } = components;
}

/// <summary>
/// The run's metric sink: every value goes to the store, and a copy stays in memory so that later stages (reports)
/// can read what earlier ones logged without going back to the database.
/// </summary>
internal sealed class RunMetrics(RunRecorder recorder) : IMetricSink, IMetricHistory
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<MetricPoint>> _series = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private int _stage = -1;
    private string _stageId = "";

    /// <summary>Values logged from now on belong to stage <paramref name="index"/> (−1: between stages).</summary>
    public void SetStage(int index, string stageId)
    {
        lock (_gate)
        {
            (_stage, _stageId) = (index, stageId);
        }
    }

    public void Log(string name, double value, long step)
    {
        recorder.LogMetric(name, step, value);
        lock (_gate)
        {
            if (!_series.TryGetValue(name, out List<MetricPoint>? series))
            {
                _series[name] = series = [];
                _names.Add(name);
            }
            series.Add(new MetricPoint(_stage, _stageId, step, value));
        }
    }

    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return [.. _names];
            }
        }
    }

    public IReadOnlyList<MetricPoint> Read(string name)
    {
        lock (_gate)
        {
            return _series.TryGetValue(name, out List<MetricPoint>? series) ? [.. series] : [];
        }
    }
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
