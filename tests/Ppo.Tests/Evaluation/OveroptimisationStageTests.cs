using AlignFx.Evaluation;
using System.Text.Json;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Ppo.Evaluation;

namespace AlignFx.Ppo.Tests.Evaluation;

public sealed class OveroptimisationStageTests
{
    [Fact]
    public async Task The_sweep_measures_best_of_n_per_proxy_and_one_RL_arm_per_coefficient_from_the_same_weights()
    {
        var task = Small.Task();
        using var policy = Small.Policy(task);
        float[][] before = Small.Weights(policy);
        using var context = new TestStageContext(21, task, policy, r => r.Name switch
        {
            "long" => new LengthReward(1),
            "short" => new LengthReward(-1),
            "scripted" => new ScriptedOptimizer(r.Options),
            _ => throw new InvalidOperationException(r.Name),
        });
        using var optimizerOptions = JsonDocument.Parse("""{ "steps": 3 }""");
        var options = new OveroptimisationOptions
        {
            Rewards = [new() { Label = "long", Reward = new() { Name = "long" } }, new() { Label = "short", Reward = new() { Name = "short" } }],
            Ns = [1, 2, 4, 8],
            Prompts = 6,
            MaxNewTokens = 12,
            Optimizer = new ComponentRef { Name = "scripted", Options = optimizerOptions.RootElement.Clone() },
            KlCoefficients = [0.05, 0.2],
            RlReward = "short",
        };

        await new OveroptimisationStage(options).RunAsync(context, TestContext.Current.CancellationToken);

        // Every arm started from, and the sweep ended with, the weights it began with.
        Assert.Equal(before, Small.Weights(policy));
        Assert.Equal([0.05, 0.2], ScriptedOptimizer.CoefficientsSeen); // patched into the optimiser's options

        var results = context.Artifacts.Get(PpoArtifacts.Overoptimisation);
        Assert.Equal(["bon/long", "bon/short", "rl/short/kl=0.05", "rl/short/kl=0.2"], results.Curves.Select(c => c.Name));

        // Best-of-n: proxies are exact lengths, so a longer-preferring proxy's proxy mean rises with n and the other's falls.
        var longCurve = results.Curves[0];
        Assert.Equal([1L, 2, 4, 8], longCurve.Points.Select(p => p.Step));
        Assert.Equal(longCurve.Points.Select(p => p.Proxy).Order(), longCurve.Points.Select(p => p.Proxy));
        Assert.Equal(longCurve.Points.Select(p => p.Gold), context.Values(PpoMetrics.BestOfNSweepPrefix + "long/gold"));
        Assert.Equal(0.0, longCurve.Points[0].Kl);
        Assert.Equal(Overoptimisation.BestOfNKl(8), longCurve.Points[3].Kl);
        // n = 1 is the pool's mean under every proxy.
        Assert.Equal(longCurve.Points[0].Gold, results.Curves[1].Points[0].Gold, 12);
        Assert.Equal(-longCurve.Points[0].Proxy, results.Curves[1].Points[0].Proxy, 12);

        // RL: each arm's own series (not the previous arm's), fitted exactly.
        foreach (var arm in results.Curves.Skip(2))
        {
            Assert.Equal(5, arm.Points.Count);
            Assert.Equal(ScriptedOptimizer.Gold0, arm.GoldAtZero, 12);
            Assert.Equal(ScriptedOptimizer.Alpha, arm.Fit.Alpha, 9);
            Assert.Equal(ScriptedOptimizer.Beta, arm.Fit.Beta, 9);
            Assert.Equal(4 / (1 + 10 * arm.KlCoefficient!.Value), arm.Points[^1].SqrtKl, 12);
        }
        var flat = context.Artifacts.Get(PpoArtifacts.OveroptimisationFits).Metrics;
        Assert.Equal(ScriptedOptimizer.Alpha, flat["rl/short/kl=0.2/alpha"], 9);
        Assert.True(File.Exists(context.Files.GetPath(OveroptimisationStage.ResultsPath)));
    }
}
