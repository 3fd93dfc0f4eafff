using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using MyPlugin;

[assembly: AlignFxPlugin(typeof(PluginModule))]

namespace MyPlugin;

/// <summary>Registers the plugin's components; a manifest names them by these names.</summary>
public sealed class PluginModule : IPluginModule
{
    /// <summary>The reward model's name in manifests.</summary>
    public const string LengthCapName = "length-cap";

    /// <summary>The stage's name in manifests.</summary>
    public const string ScoreResponsesName = "score-responses";

    /// <inheritdoc />
    public void Register(IPluginBuilder builder)
    {
        builder.AddRewardModel<LengthCap, LengthCapOptions>(LengthCapName, "Penalises every character beyond a limit (a rule reward, as an example).");
        builder.AddStage<ScoreResponsesStage, ScoreResponsesOptions>(ScoreResponsesName,
            "Samples the policy on the task's test prompts and logs a reward model's mean score and the gold accuracy.");
    }
}

/// <summary>Options of <see cref="LengthCap"/>; defaults are the property initialisers.</summary>
public sealed class LengthCapOptions
{
    /// <summary>Characters allowed before the penalty starts.</summary>
    [Range(1, 10_000)]
    public int MaxLength { get; set; } = 40;

    /// <summary>Penalty per character over the limit.</summary>
    [Range(0.0, 100.0)]
    public double PenaltyPerChar { get; set; } = 0.05;
}

/// <summary>A rule reward: minus <c>penaltyPerChar</c> for every character beyond <c>maxLength</c>.</summary>
public sealed class LengthCap(LengthCapOptions options) : IRewardModel
{
    /// <inheritdoc />
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<double>>([.. responses.Select(r => -options.PenaltyPerChar * Math.Max(0, r.Text.Length - options.MaxLength))]);
}

/// <summary>Options of <see cref="ScoreResponsesStage"/>.</summary>
public sealed class ScoreResponsesOptions
{
    /// <summary>The reward model to score with (any registered one, this plugin's or another's).</summary>
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef Reward { get; set; } = new() { Name = PluginModule.LengthCapName };
}

/// <summary>Samples the policy once per test prompt and logs the reward model's mean score and the gold accuracy.</summary>
public sealed class ScoreResponsesStage(ScoreResponsesOptions options) : IStage
{
    /// <summary>The metric this stage logs.</summary>
    public const string MeanScoreMetric = "score-responses/mean_score";

    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        IReadOnlyList<Prompt> prompts = context.Task.GetPrompts(TaskSplits.Test);
        IReadOnlyList<Response> responses = await context.Policy.GenerateAsync(prompts, new GenerationOptions(), ct);
        IRewardModel reward = context.Components.Create<IRewardModel>(options.Reward);
        IReadOnlyList<double> scores = await reward.ScoreAsync(responses, ct);
        context.Metrics.Log(MeanScoreMetric, scores.Average(), 0);
        if (context.Task.Gold is { } gold)
        {
            context.Metrics.Log(MetricNames.Gold.Accuracy, responses.Average(r => gold.Evaluate(r).Score), 0);
        }
    }
}
