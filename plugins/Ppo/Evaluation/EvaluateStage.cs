using AlignFx.Evaluation;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;

namespace AlignFx.Ppo.Evaluation;

/// <summary>Options of the <c>evaluate</c> stage.</summary>
public sealed class EvaluateOptions
{
    /// <summary>The task split of held-out prompts.</summary>
    [Required, MinLength(1)]
    public string Split { get; set; } = TaskSplits.Test;

    /// <summary>The most prompts to evaluate on (the split's first ones).</summary>
    [Range(1, 1_000_000)]
    public int MaxPrompts { get; set; } = 300;

    /// <summary>Sampling temperature (1: the policy's own distribution, as it was optimised).</summary>
    [Range(0.0, 10.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>The most tokens per response.</summary>
    [Range(1, 4096)]
    public int MaxNewTokens { get; set; } = 48;

    /// <summary>
    /// The highest difficulty an evaluator can check: gold accuracy is also reported on the items beyond it
    /// (<c>gold/accuracy_uncheckable</c>). The default 1e6 counts everything as checkable (+∞ cannot be written in a
    /// manifest's JSON).
    /// </summary>
    [Range(0.0, double.MaxValue)]
    public double VerificationLimit { get; set; } = 1e6;

    /// <summary>A reward to report the proxy reward mean with (<c>proxy/reward_mean</c>); null: none.</summary>
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef? Reward { get; set; }

    /// <summary>How many prompts' responses, before and after, to keep for the report.</summary>
    [Range(0, 100)]
    public int Samples { get; set; } = 6;

    /// <summary>The random stream the sampling seed derives from; base and final use the same seed.</summary>
    [Required, MinLength(1)]
    public string SeedStream { get; set; } = "evaluate/generate";
}

/// <summary>
/// <c>evaluate</c>: measures the task's metrics (<see cref="TaskMetrics.MeasureResponses"/>) on held-out prompts for the
/// base policy (the <see cref="IPolicy"/> artifact <c>"base"</c>, when present) and the current policy, sampled with
/// the same seed; adds <c>proxy/reward_mean</c> when a reward is given. Leaves <see cref="EvaluationResults"/>
/// <c>"evaluate/base"</c> and <c>"evaluate/final"</c>, logs <c>eval/base/&lt;metric&gt;</c> and
/// <c>eval/final/&lt;metric&gt;</c> at step 0, and keeps sample responses (an <see cref="EvaluationSamples"/> artifact,
/// also written to <c>evaluate/samples.json</c>).
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class EvaluateStage(EvaluateOptions options) : IStage
{
    /// <summary>The metric holding how many responses each policy was measured on.</summary>
    public const string ResponsesMetric = "gold/responses";

    /// <summary>The artifact key of the base policy's results (and the artifact key of the base policy itself is <see cref="BasePolicyKey"/>).</summary>
    public const string BaseKey = "evaluate/base";
    /// <summary>The artifact key of the current policy's results.</summary>
    public const string FinalKey = "evaluate/final";
    /// <summary>The artifact key under which the optimise stage stores the policy it started from.</summary>
    public const string BasePolicyKey = "base";
    /// <summary>The run-relative path of the sample responses.</summary>
    public const string SamplesPath = "evaluate/samples.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        IGoldEvaluator gold = context.Task.Gold
            ?? throw new InvalidOperationException("evaluate needs a task with a gold evaluator.");
        List<Prompt> prompts = [.. context.Task.GetPrompts(options.Split).Take(options.MaxPrompts)];
        if (prompts.Count == 0)
        {
            throw new InvalidOperationException($"The task's split '{options.Split}' has no prompts.");
        }
        IRewardModel? reward = options.Reward is { Name.Length: > 0 } r ? context.Components.Create<IRewardModel>(r) : null;
        var generation = new GenerationOptions
        {
            MaxNewTokens = options.MaxNewTokens,
            Temperature = options.Temperature,
            Seed = context.DeriveSeed(options.SeedStream),
        };

        IPolicy? basePolicy = context.Artifacts.TryGet<IPolicy>(BasePolicyKey);
        Measured? before = basePolicy is null ? null : await MeasureAsync(basePolicy, "base").ConfigureAwait(false);
        Measured after = await MeasureAsync(context.Policy, "final").ConfigureAwait(false);
        if (before is null)
        {
            context.Logger.LogInformation("No base policy artifact '{Key}': evaluating the current policy only.", BasePolicyKey);
        }

        var samples = new EvaluationSamples([.. Enumerable.Range(0, Math.Min(options.Samples, prompts.Count)).Select(i => new SampleComparison(
            prompts[i].Text,
            before is null ? null : Sample(before, i),
            Sample(after, i)))]);
        context.Artifacts.Set(samples);
        string path = context.Files.GetPath(SamplesPath);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(samples, Json), ct).ConfigureAwait(false);
        context.Files.Register(SamplesPath, "samples", "sample responses of the base and the final policy on the same prompts");
        if (before?.Metrics is { } baseMetrics && RewardHacking.Judge(baseMetrics, after.Metrics, MetricNames.ProxyRewardMean, prompts.Count) is { } verdict)
        {
            // 0 or 1 per run, so a compare reports how often each arm hacks its reward.
            context.Metrics.Log(RewardHacking.DetectedMetric, verdict.Detected ? 1 : 0, 0);
        }

        async Task<Measured> MeasureAsync(IPolicy policy, string which)
        {
            IReadOnlyList<Response> responses = await policy.GenerateAsync(prompts, generation, ct).ConfigureAwait(false);
            List<GoldEvaluation> evaluations = [.. responses.Select(gold.Evaluate)];
            var metrics = new Dictionary<string, double>(TaskMetrics.MeasureResponses(evaluations, options.VerificationLimit), StringComparer.Ordinal)
            {
                // The sample size, so a report can say whether a change is larger than its noise.
                [ResponsesMetric] = evaluations.Count,
            };
            IReadOnlyList<double>? proxy = null;
            if (reward is not null)
            {
                proxy = await reward.ScoreAsync(responses, ct).ConfigureAwait(false);
                metrics[MetricNames.ProxyRewardMean] = proxy.Count == 0 ? double.NaN : proxy.Average();
            }
            foreach (var (name, value) in metrics)
            {
                context.Metrics.Log($"eval/{which}/{name}", value, 0);
            }
            context.Artifacts.Set(new EvaluationResults(which + "-policy", metrics), "evaluate/" + which);
            return new Measured(responses, evaluations, proxy, metrics);
        }
    }

    private static SampleResponse Sample(Measured measured, int i) =>
        new(measured.Responses[i].Text, measured.Evaluations[i].Get(GoldFeatures.Correct) == 1, measured.Evaluations[i].Score, measured.Proxy?[i]);

    private sealed record Measured(IReadOnlyList<Response> Responses, IReadOnlyList<GoldEvaluation> Evaluations, IReadOnlyList<double>? Proxy, IReadOnlyDictionary<string, double> Metrics);
}

/// <summary>Sample responses of the base and the final policy to the same prompts, for the report.</summary>
/// <param name="Items">One comparison per prompt.</param>
public sealed record EvaluationSamples(IReadOnlyList<SampleComparison> Items);

/// <summary>The base and the final policy's responses to one prompt.</summary>
/// <param name="Prompt">The prompt's text.</param>
/// <param name="Before">The base policy's response (null without a base policy).</param>
/// <param name="After">The final policy's response.</param>
public sealed record SampleComparison(string Prompt, SampleResponse? Before, SampleResponse After);

/// <summary>One sampled response with its gold verdict and proxy reward.</summary>
/// <param name="Text">The response.</param>
/// <param name="Correct">Whether the gold evaluator marks it correct.</param>
/// <param name="GoldScore">Its gold score.</param>
/// <param name="ProxyReward">Its proxy reward (null when the stage had no reward).</param>
public sealed record SampleResponse(string Text, bool Correct, double GoldScore, double? ProxyReward);
