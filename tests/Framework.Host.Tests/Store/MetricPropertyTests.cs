using AlignFx.Host.Store;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AlignFx.Host.Tests.Store;

/// <summary>
/// Whatever values are logged, in whatever order, across stage boundaries and with whatever flush threshold, the
/// store gives back exactly the series a plain in-memory grouping predicts.
/// </summary>
public sealed class MetricPropertyTests : IDisposable
{
    private static readonly string[] Names = ["objective/kl", "gold/reward", "loss, \"odd\""];
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>One logged value, or (Name &lt; 0) a stage boundary.</summary>
    public sealed record Op(int Name, long Step, double Value);

    private static Arbitrary<Op[]> Ops() =>
        Gen.Frequency(
            [
                (1, Gen.Constant(new Op(-1, 0, 0))),
                (12, from name in Gen.Choose(0, Names.Length - 1)
                     from step in Gen.Choose(-3, 40)
                     from value in ArbMap.Default.GeneratorFor<double>()
                     select new Op(name, step, value)),
            ])
            .ArrayOf()
            .ToArbitrary();

    [Property(MaxTest = 40)]
    public Property LoggedValuesComeBackGroupedBySeriesInStepOrder() =>
        Prop.ForAll(Ops(), ArbMap.Default.ArbFor<PositiveInt>(), (ops, flushRows) =>
        {
            using var store = RunStore.Open(folder.DatabasePath, new RunStoreOptions { MetricFlushRows = 1 + flushRows.Get % 17 });
            var run = store.BeginRun(new NewRun("property", 1, "{}"));
            var expected = new List<(int? Stage, string Name, long Step, double Value)>();
            int? stage = null;
            foreach (var op in ops)
            {
                if (op.Name < 0)
                {
                    if (stage is not null)
                        run.EndStage();
                    stage = run.BeginStage("s");
                    continue;
                }
                run.LogMetric(Names[op.Name], op.Step, op.Value);
                expected.Add((stage, Names[op.Name], op.Step, op.Value));
            }
            run.End(RunStatus.Completed);

            // Stage order (run-level last), name (ordinal), step, then logging order: OrderBy is stable.
            var predicted = expected
                .OrderBy(p => p.Stage is null).ThenBy(p => p.Stage).ThenBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Step)
                .ToList();
            var actual = store.GetMetrics(run.RunId)
                .SelectMany(s => s.Steps.Select((step, i) => (s.StageIndex, s.Name, step, s.Values[i])))
                .ToList();
            // SQLite keeps -0.0 as 0.0; == treats them as equal, and NaN must come back as NaN.
            return predicted.Count == actual.Count && predicted.Zip(actual).All(p =>
                p.First.Stage == p.Second.StageIndex && p.First.Name == p.Second.Name && p.First.Step == p.Second.step &&
                (p.First.Value == p.Second.Item4 || (double.IsNaN(p.First.Value) && double.IsNaN(p.Second.Item4))));
        });
}
