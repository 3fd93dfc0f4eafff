using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Host.Tests.Plugins;

/// <summary>A stage context that records metrics in memory, for running plugin stages outside a pipeline.</summary>
internal sealed class FakeStageContext(IComponentFactory components) : IStageContext, IMetricSink
{
    public List<(string Name, double Value, long Step)> Logged { get; } = [];

    public string RunId => "test-run";
    public long Seed => 42;
    public ILogger Logger => NullLogger.Instance;
    public IMetricSink Metrics => this;
    public IArtifactStore Files => throw new NotSupportedException("The plugin tests write no files.");
    public IProgressReporter Progress => throw new NotSupportedException("The plugin tests show no progress.");
    public CancellationToken Cancellation => CancellationToken.None;
    public string Device => "cpu";
    public ITask Task => throw new NotSupportedException("The plugin tests have no task.");
    public IPolicy Policy { get; set; } = null!;
    public IArtifactBag Artifacts { get; } = new ArtifactBag();
    public IComponentFactory Components { get; } = components;

    public void Log(string name, double value, long step) => Logged.Add((name, value, step));
}
