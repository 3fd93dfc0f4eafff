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
    /// <summary>The proxies: best-of-n is measured against each; the RL arms optimise against <see cref="RlReward"/>.</summary>
    [MinLength(1)]
    public List<LabelledReward> Rewards { get; set; } = [new()];

    /// <summary>The values of n for best-of-n; the pool sampled per prompt has max(ns) responses.</summary>
    [MinLength(1)]
    public List<int> Ns { get; set; } = [1, 2, 4, 8, 16, 32, 64];

    /// <summary>How many prompts of <see cref="Split"/> best-of-n is measured on (and the RL arms' gold on).</summary>
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

    /// <summary>The optimiser of the RL arms (null: best-of-n only).</summary>
    [ComponentKind(ComponentKinds.Optimizer)]
    public ComponentRef? Optimizer { get; set; }

    /// <summary>One RL arm per KL coefficient, each from the same starting weights.</summary>
    public List<double> KlCoefficients { get; set; } = [];

    /// <summary>The optimiser option each arm's coefficient is written to.</summary>
    [Required, MinLength(1)]
    public string KlCoefficientOption { get; set; } = "klCoefficient";

    /// <summary>The label of the proxy the RL arms optimise (null: the first of <see cref="Rewards"/>).</summary>
    public string? RlReward { get; set; }

    /// <summary>The training split of the RL arms.</summary>
    [Required, MinLength(1)]
    public string TrainSplit { get; set; } = TaskSplits.Train;

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
        if (KlCoefficients.Any(c => c < 0 || !double.IsFinite(c)))
        {
            yield return new ValidationResult("KL coefficients must be finite and non-negative", [nameof(KlCoefficients)]);
        }
        if (KlCoefficients.Count > 0 && Optimizer is null)
        {
            yield return new ValidationResult("KL coefficients need an optimizer", [nameof(Optimizer)]);
        }
        if (RlReward is not null && Rewards.All(r => r.Label != RlReward))
        {
            yield return new ValidationResult($"'{RlReward}' is not one of the rewards' labels", [nameof(RlReward)]);
        }
    }
}

/// <summary>
/// <c>overoptimisation</c>: the sweep of Gao, Schulman and Hilton (2022). Best-of-n against each proxy with the
/// unbiased estimator (one pool of max(ns) samples per prompt, <see cref="Overoptimisation.BestOfN"/>), at
/// KL = log n − (n−1)/n; optionally one RL run per KL coefficient, each from the same weights (restored afterwards),
/// read from the optimiser's evaluation series (<c>eval/sqrt_kl</c> with <c>gold/reward_mean</c>, else
/// <c>gold/accuracy</c>). Fits Δgold = d(α − βd) to best-of-n and d(α − β ln d) to RL. Logs <c>bon/&lt;label&gt;/gold</c>,
/// <c>bon/&lt;label&gt;/proxy</c>, <c>bon/&lt;label&gt;/kl</c> at step n; leaves <see cref="OveroptimisationResults"/>
/// (key <c>"overoptimisation"</c>) and <c>overoptimisation/results.json</c>.
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
                context.Metrics.Log($"{PpoMetrics.BestOfNSweepPrefix}{label}/gold", point.Gold, n);
                context.Metrics.Log($"{PpoMetrics.BestOfNSweepPrefix}{label}/proxy", point.Proxy, n);
                context.Metrics.Log($"{PpoMetrics.BestOfNSweepPrefix}{label}/kl", point.Kl, n);
            }
            double gold0 = points[0].Step == 1 ? points[0].Gold : goldScores.Average();
            GoldFit fit = Overoptimisation.FitBestOfN([.. points.Select(q => q.SqrtKl)], [.. points.Select(q => q.Gold - gold0)]);
            curves.Add(new OveroptimisationCurve(label, SweepMethod.BestOfN, null, gold0, points, fit));
            context.Logger.LogInformation("Best-of-n against {Label}: gold {Gold0:0.###} at n=1 → {GoldN:0.###} at n={N}; fit α={Alpha:0.###} β={Beta:0.###} R²={R2:0.###}",
                label, gold0, points[^1].Gold, points[^1].Step, fit.Alpha, fit.Beta, fit.RSquared);
        }

        if (options.Optimizer is { Name.Length: > 0 } optimizer && options.KlCoefficients.Count > 0)
        {
            double baseGold = goldScores.Average();
            string rlLabel = options.RlReward ?? rewards[0].Label;
            IRewardModel rlReward = rewards.First(r => r.Label == rlLabel).Model;
            curves.AddRange(await RunRlArmsAsync(context, optimizer, rlLabel, rlReward, prompts, gold, baseGold, ct).ConfigureAwait(false));
        }

        var results = new OveroptimisationResults(curves);
        context.Artifacts.Set(PpoArtifacts.Overoptimisation, results);
        context.Artifacts.Set(PpoArtifacts.OveroptimisationFits, new EvaluationResults(PpoArtifacts.OveroptimisationFits.Name, results.Flatten()));
        await File.WriteAllTextAsync(context.Files.GetPath(ResultsPath), results.ToJson(), ct).ConfigureAwait(false);
        context.Files.Register(ResultsPath, "results", "best-of-n and RL overoptimisation curves with Gao et al. fits");
    }

    private async Task<List<OveroptimisationCurve>> RunRlArmsAsync(IStageContext context, ComponentRef optimizer, string label, IRewardModel reward,
        List<Prompt> evaluationPrompts, IGoldEvaluator gold, double baseGold, CancellationToken ct)
    {
        ITrainablePolicy policy = context.Policy as ITrainablePolicy
            ?? throw new InvalidOperationException($"The RL arms need a trainable policy; the pipeline's is a {context.Policy.GetType().Name}.");
        IMetricHistory history = context.MetricHistory
            ?? throw new InvalidOperationException("The RL arms read the optimiser's evaluation series from the run's metric history, which this host does not keep.");
        IReadOnlyList<Prompt> train = context.Task.GetPrompts(options.TrainSplit);
        Dictionary<string, Tensor> start = CloneState(policy.Module);
        var curves = new List<OveroptimisationCurve>();
        try
        {
            foreach (double coefficient in options.KlCoefficients)
            {
                ct.ThrowIfCancellationRequested();
                policy.Module.load_state_dict(start);
                var marks = Marks(history);
                IPolicyOptimizer arm = context.Components.Create<IPolicyOptimizer>(WithOption(optimizer, options.KlCoefficientOption, coefficient));
                var request = new OptimizationRequest(policy, reward, train) { Gold = gold, EvaluationPrompts = evaluationPrompts };
                await arm.OptimizeAsync(request, context, ct).ConfigureAwait(false);
                curves.Add(ReadArm(history, marks, label, coefficient, baseGold));
                var fit = curves[^1].Fit;
                context.Logger.LogInformation("RL against {Label} with KL coefficient {Coefficient}: {Points} evaluations; fit α={Alpha:0.###} β={Beta:0.###} R²={R2:0.###}",
                    label, coefficient, curves[^1].Points.Count, fit.Alpha, fit.Beta, fit.RSquared);
            }
        }
        finally
        {
            policy.Module.load_state_dict(start);
            foreach (Tensor t in start.Values)
            {
                t.Dispose();
            }
        }
        return curves;
    }

    /// <summary>Where each evaluation series ends before an arm, so the arm's points can be told from earlier ones.</summary>
    private static Dictionary<string, int> Marks(IMetricHistory history) =>
        new[] { MetricNames.Evaluation.SqrtKl, MetricNames.Gold.RewardMean, MetricNames.Gold.Accuracy, MetricNames.Evaluation.ProxyReward }.ToDictionary(n => n, n => history.Read(n).Count, StringComparer.Ordinal);


    private static OveroptimisationCurve ReadArm(IMetricHistory history, Dictionary<string, int> marks, string label, double coefficient, double baseGold)
    {
        IReadOnlyList<MetricPoint> After(string name) => [.. history.Read(name).Skip(marks[name])];
        var d = After(MetricNames.Evaluation.SqrtKl);
        var goldSeries = After(MetricNames.Gold.RewardMean);
        if (goldSeries.Count == 0)
        {
            goldSeries = After(MetricNames.Gold.Accuracy);
        }
        var proxy = After(MetricNames.Evaluation.ProxyReward).GroupBy(p => p.Step).ToDictionary(g => g.Key, g => g.Last().Value);
        var goldByStep = goldSeries.GroupBy(p => p.Step).ToDictionary(g => g.Key, g => g.Last().Value);
        var points = d.Where(p => goldByStep.ContainsKey(p.Step))
            .Select(p => new SweepPoint(p.Step, p.Value * p.Value, p.Value, goldByStep[p.Step], proxy.GetValueOrDefault(p.Step, double.NaN)))
            .ToList();
        // gold(0): the arm's own evaluation before any change when it made one, else the base policy's pool mean.
        double gold0 = points.FirstOrDefault(p => p.SqrtKl <= 1e-9) is { } first ? first.Gold : baseGold;
        GoldFit fit = Overoptimisation.FitRl([.. points.Select(p => p.SqrtKl)], [.. points.Select(p => p.Gold - gold0)]);
        return new OveroptimisationCurve(label, SweepMethod.Rl, coefficient, gold0, points, fit);
    }

    private static ComponentRef WithOption(ComponentRef reference, string option, double value)
    {
        JsonObject patched = reference.Options is { ValueKind: JsonValueKind.Object } o ? (JsonObject)JsonNode.Parse(o.GetRawText())! : [];
        patched[option] = value;
        using var document = JsonDocument.Parse(patched.ToJsonString());
        return new ComponentRef { Name = reference.Name, Options = document.RootElement.Clone() };
    }

    private static Dictionary<string, Tensor> CloneState(nn.Module module)
    {
        using var _ = no_grad();
        // Clones live outside any dispose scope: the stage disposes them itself.
        return module.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
    }

    private static ArraySegment<double> Slice(IReadOnlyList<double> values, int offset, int count) =>
        new([.. Enumerable.Range(offset, count).Select(i => values[i])]);
}

/// <summary>How a sweep curve's policies were obtained.</summary>
public enum SweepMethod
{
    /// <summary>Best-of-n sampling against the proxy.</summary>
    BestOfN,
    /// <summary>Reinforcement learning (the optimiser) against the proxy.</summary>
    Rl,
}

/// <summary>One point of a sweep curve.</summary>
/// <param name="Step">n for best-of-n; the optimiser's step for RL.</param>
/// <param name="Kl">KL from the base policy (nats).</param>
/// <param name="SqrtKl">d = sqrt(KL).</param>
/// <param name="Gold">Mean gold reward.</param>
/// <param name="Proxy">Mean proxy reward (NaN when not logged).</param>
public sealed record SweepPoint(long Step, double Kl, double SqrtKl, double Gold, double Proxy);

/// <summary>One curve of the sweep with its Gao et al. fit.</summary>
/// <param name="Label">The proxy's label.</param>
/// <param name="Method">Best-of-n or RL.</param>
/// <param name="KlCoefficient">The RL arm's KL coefficient (null for best-of-n).</param>
/// <param name="GoldAtZero">gold(0), subtracted before fitting.</param>
/// <param name="Points">The curve, in order of n or step.</param>
/// <param name="Fit">The fit of gold − gold(0) against d.</param>
public sealed record OveroptimisationCurve(string Label, SweepMethod Method, double? KlCoefficient, double GoldAtZero, IReadOnlyList<SweepPoint> Points, GoldFit Fit)
{
    /// <summary>A short name: <c>bon/&lt;label&gt;</c> or <c>rl/&lt;label&gt;/kl=&lt;coefficient&gt;</c>.</summary>
    public string Name => Method == SweepMethod.BestOfN
        ? PpoMetrics.BestOfNSweepPrefix + Label
        : string.Create(CultureInfo.InvariantCulture, $"rl/{Label}/kl={KlCoefficient}");
}

/// <summary>The overoptimisation sweep's curves, for the report.</summary>
/// <param name="Curves">Best-of-n curves first, then RL arms.</param>
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
