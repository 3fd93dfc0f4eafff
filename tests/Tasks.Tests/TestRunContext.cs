using AlignFx.Abstractions.Runs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Tasks.Tests;

/// <summary>A run context with a seed and nothing else: what the task needs.</summary>
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

/// <summary>Sampling-error bounds for measured rates.</summary>
internal static class Rates
{
    /// <summary>Asserts that <paramref name="hits"/> of <paramref name="n"/> is within 4 standard errors of <paramref name="expected"/>.</summary>
    public static void Within(double expected, int hits, int n, string what)
    {
        Assert.True(n > 0, $"{what}: no samples");
        double measured = (double)hits / n;
        double se = Math.Sqrt(Math.Max(expected * (1 - expected), 1e-9) / n);
        Assert.True(Math.Abs(measured - expected) <= (4 * se) + 1e-12,
            $"{what}: measured {measured:0.0000} over {n}, expected {expected:0.0000} ± {4 * se:0.0000}");
    }
}
