using System.Globalization;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Evaluation;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.Tasks.Arithmetic;
using MathNet.Numerics.Distributions;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Reporting.Tests;

/// <summary>
/// The check: a compare of two arms that differ only in the label source (a flawed evaluator against the gold
/// oracle) over three seeds gives a report with intervals, a p-value (computed independently here) and plots.
/// </summary>
public sealed class LabelSourceReportTests : IDisposable
{
    private readonly ReportWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private const string Manifest = """
        {
          "name": "flawed-vs-gold",
          "seeds": [1, 2, 3],
          "base": {
            "name": "labels", "task": { "name": "arithmetic", "options": { "trainPrompts": 300 } }, "policy": "scripted",
            "stages": [ { "stage": "collect-feedback", "labels": 200,
                          "source": { "name": "simulated-human", "options": { "verificationLimit": 1, "confidenceBias": 1 } } } ],
          },
          "arms": [
            { "name": "flawed", "overrides": {} },
            { "name": "oracle", "overrides": { "stages": [ { "stage": "collect-feedback", "labels": 200, "source": "gold" } ] } },
          ],
          "budgets": { "labels": 200 },
          "report": { "metrics": ["feedback/gold_agreement", "feedback/labels"], "baseline": "flawed" },
        }
        """;

    [Fact]
    public async Task A_flawed_evaluator_against_the_gold_oracle_gets_intervals_a_welch_p_value_plots_and_two_disclosure_cards()
    {
        IComponentCatalog catalog = new WithScriptedPolicy(BuiltPlugins.Load("Tasks", "Feedback"));
        ManifestResult<CompareManifest> manifest = ManifestLoader.LoadCompare(_workspace.Manifest("labels.json", Manifest), catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(_workspace.StorePath);
        var runner = new CompareRunner(new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null), store);

        CompareOutcome outcome = await runner.RunAsync(manifest.Value!, TestContext.Current.CancellationToken);

        Assert.Equal(RunStatus.Completed, outcome.Status);
        string html = File.ReadAllText(Path.Combine(outcome.Folder, "report.html"));
        double[] Agreement(string arm) => [.. store.ListCompareRuns(outcome.CompareId).Where(r => r.Arm == arm).OrderBy(r => r.Seed)
            .Select(r => store.GetMetricSeries(r.Id, MetricNames.Feedback.GoldAgreement)[^1].Value)];
        double[] flawed = Agreement("flawed"), oracle = Agreement("oracle");
        Assert.Equal([1.0, 1.0, 1.0], oracle);

        // The flawed arm's interval, from Student's t.
        double mean = flawed.Average(), sd = Math.Sqrt(flawed.Sum(x => (x - mean) * (x - mean)) / 2);
        double half = StudentT.InvCDF(0, 1, 2, 0.975) * sd / Math.Sqrt(3);
        Assert.Contains($"<td>{MetricNames.Feedback.GoldAgreement}</td><td>{G4(mean)} [{G4(mean - half)}, {G4(mean + half)}] (n = 3)</td><td>1 (n = 3)</td>", html
            .Replace("1 [1, 1] (n = 3)", "1 (n = 3)", StringComparison.Ordinal), StringComparison.Ordinal);

        // Welch's test with the oracle's zero variance: t = (1 − mean) / (sd/√3) on 2 degrees of freedom, p = 1 − |t|/√(2 + t²).
        double t = (1 - mean) / (sd / Math.Sqrt(3));
        double p = 1 - (Math.Abs(t) / Math.Sqrt(2 + (t * t)));
        Assert.True(p < 0.05, $"p {p}");
        Assert.Contains($"<td>{MetricNames.Feedback.GoldAgreement}</td><td>oracle</td><td>{G4(1 - mean)}</td><td>{G4(t)}</td><td>2</td><td>{P(p)}</td>", html, StringComparison.Ordinal);

        // Plots: the agreement is logged once per run, so each arm is a point with its interval as an error bar.
        Match chart = Regex.Match(html, $"aria-label=\"{Regex.Escape(MetricNames.Feedback.GoldAgreement)}\">(.*?)</svg>", RegexOptions.Singleline);
        Assert.True(chart.Success);
        Assert.Equal(2, Regex.Count(chart.Groups[1].Value, "<circle class=\"marker\""));
        Assert.Equal(2, Regex.Count(chart.Groups[1].Value, "<line class=\"errorbar\""));

        // The labels spent stand side by side, and each arm's card names its own source, not a hard-wired one.
        Assert.Contains("<td>feedback labels (records)</td><td>200</td><td>200</td>", html, StringComparison.Ordinal);
        Assert.Contains("<h3>Arm flawed</h3>", html, StringComparison.Ordinal);
        Assert.Contains("Source(s): simulated-human (200 labels per run)", html, StringComparison.Ordinal);
        Assert.Contains("Source(s): gold (200 labels per run)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Bradley", html, StringComparison.Ordinal);
    }

    private static string G4(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string P(double p) => p.ToString(p < 0.001 ? "0.0e0" : "0.000", CultureInfo.InvariantCulture);

    /// <summary>The loaded plugins plus the scripted policy below as the <c>scripted</c> policy.</summary>
    private sealed class WithScriptedPolicy(IComponentCatalog plugins) : IComponentCatalog
    {
        private static readonly ComponentDescriptor Scripted =
            new(ComponentKinds.Policy, "scripted", typeof(ScriptedCorpusPolicy), typeof(NoOptions), "test policy") { Plugin = "Framework.Reporting.Tests" };

        public IReadOnlyList<ComponentDescriptor> Components => [.. plugins.Components, Scripted];

        public ComponentDescriptor? Find(string kind, string name) =>
            kind == Scripted.Kind && name == Scripted.Name ? Scripted : plugins.Find(kind, name);
    }
}

/// <summary>Answers arithmetic prompts as the pretraining corpus would (a stand-in for a pretrained policy), seeded by the generation options.</summary>
public sealed class ScriptedCorpusPolicy : IPolicy
{
    /// <inheritdoc />
    public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        Random random = RandomStreams.Create(options.Seed, "scripted-corpus-policy");
        var corpus = new PretrainingCorpusOptions();
        return Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select(p =>
        {
            ArithmeticProblem problem = ArithmeticProblem.TryParse(p.Text) ?? throw new ArgumentException($"not an arithmetic prompt: {p.Text}");
            bool hard = p.Metadata.TryGetValue(ArithmeticTask.HardKey, out string? h) ? h == "1" : problem.Difficulty > 1;
            return new Response(p, PretrainingCorpus.Respond(problem, hard, corpus, random).Text) { Source = "scripted" };
        })]);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<float[]>>([.. responses.Select(r => new float[r.Text.Length])]);
}
