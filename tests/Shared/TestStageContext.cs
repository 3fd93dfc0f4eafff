using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Testing;

/// <summary>
/// A stage context for unit tests of stages and optimisers without the host: metrics kept in memory (readable as
/// the run's <see cref="IMetricHistory"/>), files under a temporary folder, silent progress, and components made by
/// a function the test supplies. Linked into the test projects that need it.
/// </summary>
internal sealed class TestStageContext(long seed, ITask task, IPolicy policy, Func<ComponentRef, object>? components = null)
    : IStageContext, IDisposable
{
    private readonly InMemoryMetrics _metrics = new();
    private readonly TemporaryFiles _files = new();

    public string RunId => "test";
    public long Seed { get; } = seed;
    public ILogger Logger => NullLogger.Instance;
    public IMetricSink Metrics => _metrics;
    public IMetricHistory MetricHistory => _metrics;
    public IArtifactStore Files => _files;
    public IProgressReporter Progress { get; } = new SilentProgress();
    public CancellationToken Cancellation => CancellationToken.None;
    public string Device => "cpu";
    public ITask Task { get; } = task;
    public IPolicy Policy { get; set; } = policy;
    public IArtifactBag Artifacts { get; } = new ArtifactBag();
    public IComponentFactory Components { get; } = new FunctionFactory(components);

    /// <summary>Every value of <paramref name="name"/> logged so far.</summary>
    public IReadOnlyList<double> Values(string name) => [.. _metrics.Read(name).Select(p => p.Value)];

    public void Dispose() => _files.Dispose();

    private sealed class InMemoryMetrics : IMetricSink, IMetricHistory
    {
        private readonly Dictionary<string, List<MetricPoint>> _series = new(StringComparer.Ordinal);
        private readonly List<string> _names = [];

        public IReadOnlyList<string> Names => _names;

        public void Log(string name, double value, long step)
        {
            if (!_series.TryGetValue(name, out List<MetricPoint>? series))
            {
                _series[name] = series = [];
                _names.Add(name);
            }
            series.Add(new MetricPoint(0, "test", step, value));
        }

        public IReadOnlyList<MetricPoint> Read(string name) => _series.TryGetValue(name, out List<MetricPoint>? s) ? s : [];
    }

    private sealed class TemporaryFiles : IArtifactStore, IDisposable
    {
        public string RunDirectory { get; } = Directory.CreateTempSubdirectory("alignfx-test-").FullName;

        public string GetPath(string relativePath)
        {
            string path = Path.Combine(RunDirectory, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return path;
        }

        public void Register(string relativePath, string kind, string? description = null)
        {
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(RunDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still open on a slow machine: the temp folder is cleaned by the system later.
            }
        }
    }

    private sealed class SilentProgress : IProgressReporter
    {
        public IProgressTask Start(string description, double total) => new Task();

        private sealed class Task : IProgressTask
        {
            public void Advance(double amount = 1)
            {
            }

            public void Dispose()
            {
            }
        }
    }

    private sealed class FunctionFactory(Func<ComponentRef, object>? create) : IComponentFactory
    {
        public T Create<T>(ComponentRef reference) where T : class =>
            (create ?? throw new InvalidOperationException($"This test gives no components; asked for '{reference.Name}'."))(reference) as T
            ?? throw new InvalidOperationException($"The test's component '{reference.Name}' is not a {typeof(T).Name}.");
    }
}
