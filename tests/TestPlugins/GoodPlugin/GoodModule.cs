using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.TestPlugins.Good;
using AlignFx.TestPlugins.Helper;
using Microsoft.Extensions.DependencyInjection;

[assembly: AlignFxPlugin(typeof(GoodModule))]

namespace AlignFx.TestPlugins.Good;

/// <summary>A well-formed plugin: one stage with options, one reward model without options, one service.</summary>
public sealed class GoodModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder)
    {
        builder.Services.AddSingleton<Greeting>();
        builder.AddStage<EchoStage, EchoOptions>("echo", "Writes its message, shouted, into the pipeline's results.");
        builder.AddRewardModel<LengthReward, NoOptions>("length", "Scores a response by its length in characters.");
        builder.AddTask<CountingTask, CountingOptions>("counting", "Prompts that ask for the next number.");
        builder.AddPolicy<ParrotPolicy, NoOptions>("parrot", "Answers every prompt with the prompt itself.");
        builder.AddStage<RandomWalkStage, RandomWalkOptions>("random-walk", "Logs a seeded random walk and the policy's gold score.");
    }
}

/// <summary>A service the plugin registers; components receive it through their constructors.</summary>
public sealed class Greeting
{
    /// <summary>The greeting's text.</summary>
    public string Text => "hello from the good plugin";
}

/// <summary>Options of <see cref="EchoStage"/>.</summary>
public sealed class EchoOptions
{
    /// <summary>What to echo.</summary>
    public string Message { get; set; } = "echo";

    /// <summary>How many times.</summary>
    public int Repeat { get; set; } = 1;

    /// <summary>A reward model to score the echo with (null: none).</summary>
    [ComponentKind(ComponentKinds.RewardModel)]
    public ComponentRef? Reward { get; set; }
}

/// <summary>Echoes its message into the results, logs a metric and, when asked, scores the echo with a nested reward model.</summary>
public sealed class EchoStage(EchoOptions options, Greeting greeting) : IStage
{
    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        string echo = string.Concat(Enumerable.Repeat(Shouter.Shout(options.Message), options.Repeat));
        var metrics = new Dictionary<string, double> { ["echo/length"] = echo.Length };
        if (options.Reward is { } reference)
        {
            IRewardModel reward = context.Components.Create<IRewardModel>(reference);
            IReadOnlyList<double> scores = await reward.ScoreAsync([new Response(new Prompt("p0", greeting.Text), echo)], ct);
            metrics["echo/reward"] = scores[0];
        }
        context.Metrics.Log("echo/length", echo.Length, 0);
        context.Artifacts.Set(new EvaluationResults(echo, metrics));
    }
}

/// <summary>Scores a response by its length.</summary>
public sealed class LengthReward : IRewardModel
{
    /// <inheritdoc />
    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<double>>([.. responses.Select(r => (double)r.Text.Length)]);
}
