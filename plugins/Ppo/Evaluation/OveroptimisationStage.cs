using AlignFx.Evaluation;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tensors;
using Microsoft.Extensions.Logging;
using static AlignFx.Tensors.torch;

namespace AlignFx.Ppo.Evaluation;

/// <summary>One proxy reward of the sweep.</summary>
public sealed class LabelledReward
{
    /// <summary>The name the proxy has in metrics and the report (letters, digits, '-', '_').</summary>
    [Required, RegularExpression("^[A-Za-z0-9_-]+$")]
    public string Label { get; set; } = "proxy";

    /// <summary>The proxy reward.</summary>
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef Reward { get; set; } = new() { Name = "trained" };
}

/// <summary>Options of the <c>overoptimisation</c> stage.</summary>
public sealed class OveroptimisationOptions : IValidatableObject
{
    /// <summary>The proxies: best-of-n is measured against each.</summary>
    [MinLength(1)]
    public List<LabelledReward> Rewards { get; set; } = [new()];

    /// <summary>The values of n for best-of-n; the pool sampled per prompt has max(ns) responses.</summary>
    [MinLength(1)]
    public List<int> Ns { get; set; } = [1, 2, 4, 8, 16, 32, 64];

    /// <summary>How many prompts of <see cref="Split"/> best-of-n is measured on.</summary>
    [Range(1, 100_000)]
    public int Prompts { get; set; } = 64;

    /// <summary>The split of those prompts.</summary>
    [Required, MinLength(1)]
    public string Split { get; set; } = TaskSplits.Validation;

    /// <summary>Sampling temperature of the pool.</summary>
    [Range(0.01, 10.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>The most tokens per response.</summary>
    [Range(1, 4096)]
    public int MaxNewTokens { get; set; } = 48;

    /// <summary>
    /// The most responses sampled in one call to the policy: the pool is sampled in chunks of whole prompts (each chunk
    /// with its own seed), since memory grows with the batch (150 prompts × 128 samples of a d 96 gpt in one batch
    /// took over 20 GiB).
    /// </summary>
    [Range(1, 1_000_000)]
    public int GenerationBatchSize { get; set; } = 4096;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Ns.Any(n => n < 1 || n > 4096))
        {
            yield return new ValidationResult("every n must be in [1, 4096]", [nameof(Ns)]);
        }
        if (Rewards.Select(r => r.Label).Distinct(StringComparer.Ordinal).Count() != Rewards.Count)
        {
            yield return new ValidationResult("the labels must differ", [nameof(Rewards)]);
        }
    }
}

/// <summary>
/// <c>overoptimisation</c>: the best-of-n half of the sweep of Gao, Schulman and Hilton (2022). Best-of-n against each
/// proxy with the unbiased estimator (one pool of max(ns) samples per prompt, <see cref="Overoptimisation.BestOfN"/>), at
/// KL = log n − (n−1)/n, fitted to Δgold = d(α − βd). Logs <c>bon/&lt;label&gt;/gold</c>, <c>/proxy</c>, <c>/kl</c> and
/// <c>/sqrt_kl</c> at step n; leaves <see cref="OveroptimisationResults"/> (key <c>"overoptimisation"</c>) and
/// <c>overoptimisation/results.json</c>. The RL half is a compare: one arm per KL coefficient (a sweep) and the report's
/// <c>rl</c> fit over the arms (examples/overoptimisation.json).
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class OveroptimisationStage(OveroptimisationOptions options) : IStage
{
    /// <summary>The run-relative path of the results file.</summary>
    public const string ResultsPath = "overoptimisation/results.json";

    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        IGoldEvaluator gold = context.Task.Gold ?? throw new InvalidOperationException("overoptimisation needs a task with a gold evaluator.");
        List<Prompt> prompts = [.. context.Task.GetPrompts(options.Split).Take(options.Prompts)];
        if (prompts.Count == 0)
        {
            throw new InvalidOperationException($"The task's split '{options.Split}' has no prompts.");
        }
        var rewards = options.Rewards.Select(r => (r.Label, Model: context.Components.Create<IRewardModel>(r.Reward))).ToList();
        var curves = new List<OveroptimisationCurve>();

        // Best-of-n: one pool, every proxy.
        int pool = options.Ns.Max();
        List<Response> responses = [];
        int promptsPerCall = Math.Max(1, options.GenerationBatchSize / pool);
        for (int start = 0, chunk = 0; start < prompts.Count; start += promptsPerCall, chunk++)
        {
            var generation = new GenerationOptions
            {
                MaxNewTokens = options.MaxNewTokens,
                Temperature = options.Temperature,
                Seed = context.DeriveSeed(chunk == 0 ? "overoptimisation/pool" : $"overoptimisation/pool/{chunk}"),
            };
            responses.AddRange(await context.Policy.GenerateAsync([.. prompts.Skip(start).Take(promptsPerCall).SelectMany(p => Enumerable.Repeat(p, pool))], generation, ct).ConfigureAwait(false));
        }
        double[] goldScores = [.. responses.Select(r => gold.Evaluate(r).Score)];
        foreach (var (label, model) in rewards)
        {
            IReadOnlyList<double> proxy = await model.ScoreAsync(responses, ct).ConfigureAwait(false);
            var points = new List<SweepPoint>();
            foreach (int n in options.Ns.Distinct().Order())
            {
                double g = 0, p = 0;
                for (int i = 0; i < prompts.Count; i++)
                {
                    var (gi, pi) = Overoptimisation.BestOfN(Slice(proxy, i * pool, pool), new ArraySegment<double>(goldScores, i * pool, pool), n);
                    g += gi;
                    p += pi;
                }
                double kl = Overoptimisation.BestOfNKl(n);
                var point = new SweepPoint(n, kl, Math.Sqrt(kl), g / prompts.Count, p / prompts.Count);
                points.Add(point);
                context.Metrics.Log(PpoMetrics.BestOfN(label, PpoMetrics.BestOfNGold), point.Gold, n);
                context.Metrics.Log(PpoMetrics.BestOfN(label, PpoMetrics.BestOfNProxy), point.Proxy, n);
                context.Metrics.Log(PpoMetrics.BestOfN(label, PpoMetrics.BestOfNKl), point.Kl, n);
                context.Metrics.Log(PpoMetrics.BestOfN(label, PpoMetrics.BestOfNSqrtKl), point.SqrtKl, n);
            }
            double gold0 = points[0].Step == 1 ? points[0].Gold : goldScores.Average();
            GoldFit fit = Overoptimisation.FitBestOfN([.. points.Select(q => q.SqrtKl)], [.. points.Select(q => q.Gold - gold0)]);
            curves.Add(new OveroptimisationCurve(label, gold0, points, fit));
            context.Logger.LogInformation("Best-of-n against {Label}: gold {Gold0:0.###} at n=1 → {GoldN:0.###} at n={N}; fit α={Alpha:0.###} β={Beta:0.###} R²={R2:0.###}",
                label, gold0, points[^1].Gold, points[^1].Step, fit.Alpha, fit.Beta, fit.RSquared);
        }

        var results = new OveroptimisationResults(curves);
        context.Artifacts.Set(PpoArtifacts.Overoptimisation, results);
        context.Artifacts.Set(PpoArtifacts.OveroptimisationFits, new EvaluationResults(PpoArtifacts.OveroptimisationFits.Name, results.Flatten()));
        await File.WriteAllTextAsync(context.Files.GetPath(ResultsPath), results.ToJson(), ct).ConfigureAwait(false);
        context.Files.Register(ResultsPath, "results", "best-of-n overoptimisation curves with Gao et al. fits");
    }

    private static ArraySegment<double> Slice(IReadOnlyList<double> values, int offset, int count) =>
        new([.. Enumerable.Range(offset, count).Select(i => values[i])]);
}

/// <summary>One point of a sweep curve.</summary>
/// <param name="Step">n.</param>
/// <param name="Kl">KL from the base policy (nats).</param>
/// <param name="SqrtKl">d = sqrt(KL).</param>
/// <param name="Gold">Mean gold reward.</param>
/// <param name="Proxy">Mean proxy reward (NaN when not logged).</param>
public sealed record SweepPoint(long Step, double Kl, double SqrtKl, double Gold, double Proxy);

/// <summary>One best-of-n curve of the sweep with its Gao et al. fit.</summary>
/// <param name="Label">The proxy's label.</param>
/// <param name="GoldAtZero">gold(0), subtracted before fitting.</param>
/// <param name="Points">The curve, in order of n.</param>
/// <param name="Fit">The fit of gold − gold(0) against d.</param>
public sealed record OveroptimisationCurve(string Label, double GoldAtZero, IReadOnlyList<SweepPoint> Points, GoldFit Fit)
{
    /// <summary>A short name: <c>bon/&lt;label&gt;</c>.</summary>
    public string Name => PpoMetrics.BestOfNSweepPrefix + Label;
}

/// <summary>The overoptimisation sweep's curves, for the report.</summary>
/// <param name="Curves">One best-of-n curve per proxy.</param>
public sealed record OveroptimisationResults(IReadOnlyList<OveroptimisationCurve> Curves)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The fits as metrics: <c>&lt;name&gt;/alpha</c>, <c>/beta</c>, <c>/r2</c>, <c>/peak_sqrt_kl</c>.</summary>
    /// <returns>Metric name to value.</returns>
    public IReadOnlyDictionary<string, double> Flatten()
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (OveroptimisationCurve c in Curves)
        {
            metrics[c.Name + "/alpha"] = c.Fit.Alpha;
            metrics[c.Name + "/beta"] = c.Fit.Beta;
            metrics[c.Name + "/r2"] = c.Fit.RSquared;
            metrics[c.Name + "/peak_sqrt_kl"] = c.Fit.PeakSqrtKl;
        }
        return metrics;
    }

    /// <summary>The results as indented JSON (non-finite numbers as "NaN"/"Infinity").</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
