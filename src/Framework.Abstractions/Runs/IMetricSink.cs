namespace AlignFx.Abstractions.Runs;

/// <summary>Receives metric values; the host stores them as series and plots them.</summary>
public interface IMetricSink
{
    /// <summary>Records <paramref name="value"/> of the metric <paramref name="name"/> at <paramref name="step"/>.</summary>
    /// <param name="name">A metric name, preferably one of <see cref="MetricNames"/>; <c>area/metric</c> for new ones.</param>
    /// <param name="value">The value (NaN and infinities are stored as they are).</param>
    /// <param name="step">The step the value belongs to (optimisation step, epoch or sample index), increasing within a series.</param>
    void Log(string name, double value, long step);
}

/// <summary>
/// What a run has logged so far, in the order it was logged, for stages that report on earlier stages (plots of
/// proxy and gold against sqrt(KL), learning curves). The host's run context provides it; a host without one
/// returns null from <see cref="IRunContext.MetricHistory"/>.
/// </summary>
public interface IMetricHistory
{
    /// <summary>The names of every metric logged so far, in the order each was first logged.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>Every value of metric <paramref name="name"/> logged so far (empty when none), in logging order.</summary>
    IReadOnlyList<MetricPoint> Read(string name);
}

/// <summary>One logged value of a metric.</summary>
/// <param name="Stage">The index of the stage that logged it (−1 between stages).</param>
/// <param name="StageId">The manifest id of that stage ("" between stages).</param>
/// <param name="Step">Its x coordinate as logged.</param>
/// <param name="Value">The value.</param>
public readonly record struct MetricPoint(int Stage, string StageId, long Step, double Value);
