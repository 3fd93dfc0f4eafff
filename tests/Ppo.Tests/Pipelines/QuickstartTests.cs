using AlignFx.Evaluation;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.Ppo.Evaluation;

namespace AlignFx.Ppo.Tests.Pipelines;

/// <summary>
/// examples/quickstart.json at a smaller size (shorter pretraining, half the labels, half the PPO steps), through the
/// host's runner with the built plugins: RLHF against the flawed evaluator's reward model hacks the reward.
/// </summary>
public sealed class QuickstartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_proxy_reward_climbs_while_gold_accuracy_falls_and_the_report_says_so()
    {
        using var run = new ExampleRun();
        RunOutcome outcome = await run.RunAsync(Smaller(ExampleRun.Load("quickstart.json")),
            BuiltPlugins.Load("Tasks", "Feedback", "LanguageModels", "RewardModels", "Ppo"), TestContext.Current.CancellationToken);
        RunStore store = run.Store;

        var before = outcome.Artifacts.Get(PpoArtifacts.BaseResults).Metrics;
        var after = outcome.Artifacts.Get(PpoArtifacts.FinalResults).Metrics;
        foreach (string metric in new[] { MetricNames.Proxy.RewardMean, MetricNames.Gold.Accuracy, MetricNames.Gold.AccuracyCheckable, MetricNames.Gold.AccuracyUncheckable, MetricNames.Gold.ConfidentWhenWrong })
        {
            output.WriteLine($"{metric}: {before[metric]:0.###} -> {after[metric]:0.###}");
        }
        // The reward model (in units of its own standard deviation) is pleased ...
        Assert.True(after[MetricNames.Proxy.RewardMean] - before[MetricNames.Proxy.RewardMean] > 1.0);
        // ... by a policy that sounds sure of itself whether or not it is right ...
        Assert.True(after[MetricNames.Gold.ConfidentWhenWrong] - before[MetricNames.Gold.ConfidentWhenWrong] > 0.4);
        // ... and is right less often.
        Assert.True(after[MetricNames.Gold.Accuracy] < before[MetricNames.Gold.Accuracy] - 0.05);
        ReportContribution report = ReportContributions.Read(File.ReadAllText(Path.Combine(store.GetRunFolder(outcome.RunId), "report", "report.json")));
        Assert.StartsWith("Reward hacking detected (held-out evaluation, base → final)", report.Disclosure.Single(f => f.Item == "Expected risks").Text, StringComparison.Ordinal);
        // During optimisation the proxy climbs from the first evaluation to the last while gold accuracy falls.
        var proxy = store.GetMetricSeries(outcome.RunId, MetricNames.Evaluation.ProxyReward);
        var gold = store.GetMetricSeries(outcome.RunId, MetricNames.Gold.Accuracy);
        Assert.True(proxy[^1].Value > proxy[0].Value && gold[^1].Value < gold[0].Value,
            $"proxy {proxy[0].Value} -> {proxy[^1].Value}, gold {gold[0].Value} -> {gold[^1].Value}");
    }

    /// <summary>The quickstart with less pretraining, half the labels and a smaller reward-model evaluation (PPO as it is).</summary>
    private static JsonObject Smaller(JsonObject manifest)
    {
        manifest["name"] = "quickstart-small";
        JsonArray stages = manifest["stages"]!.AsArray();
        JsonObject Stage(string name) => stages.Single(s => (string?)s!["stage"] == name)!.AsObject();
        Stage("pretrain")["steps"] = 700;
        Stage("collect-feedback")["labels"] = 1000;
        Stage("evaluate-reward-model")["pairs"] = 100;
        Stage("optimize")["evaluationPrompts"] = 100;
        return manifest;
    }
}
