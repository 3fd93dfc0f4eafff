using AlignFx.Abstractions.Runs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Testing;

/// <summary>
/// A run context with a seed and nothing else, for unit tests of components that only draw random streams
/// (tasks, feedback sources). Linked into the test projects that need it.
/// </summary>
internal sealed class TestRunContext(long seed) : IRunContext
{
    public string RunId => "test";
    public long Seed { get; } = seed;
    public ILogger Logger => NullLogger.Instance;
    public IMetricSink Metrics => throw new NotSupportedException();
    public IArtifactStore Files => throw new NotSupportedException();
    public IProgressReporter Progress => throw new NotSupportedException();
    public CancellationToken Cancellation => CancellationToken.None;
    public string Device => "cpu";
}
