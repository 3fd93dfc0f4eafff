using System.Globalization;
using System.Text.Json.Nodes;

namespace AlignFx.RewardModels.Tests.Pipelines;

/// <summary>
/// examples/reward-ensembles.json at a smaller size (easy addition items, a d 64 policy, 1,200 pretraining steps,
/// 1,000 labels with 25% noise), end to end through the host: best-of-n against one member, the mean, WCO and UWO.
/// What holds here: gold rises with n against every proxy, WCO and UWO end within 5% of their own peak (half of the
/// success criterion in ../shared/research/oversight-techniques.md), and WCO ends at least as high as the single proxy.
/// The other half, the single proxy falling from its peak, is not asserted: at n ≤ 128 its fall (0.019 in one pool
/// sample, none in another) is within sampling noise; see plugins/RewardModels/README.md.
/// </summary>
public sealed class RewardEnsembleExampleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Under_best_of_n_WCO_and_UWO_hold_near_their_peak_and_WCO_ends_at_least_as_high_as_one_member()
    {
        using var run = new ExampleRun();
        await run.RunAsync(Smaller(ExampleRun.Load("reward-ensembles.json")),
            BuiltPlugins.Load("Tasks", "Feedback", "LanguageModels", "RewardModels", "Ppo"), TestContext.Current.CancellationToken);

        // Gold accuracy of the best of n samples by each proxy, for n = 1, 2, 4, ..., 128.
        string[] labels = ["single", "mean", "wco", "uwo"];
        Dictionary<string, double[]> gold = labels.ToDictionary(label => label, label => run.Metric($"bon/{label}/gold").ToArray());
        foreach (string label in labels)
        {
            output.WriteLine($"{label}: {string.Join(' ', gold[label].Select(g => g.ToString("0.000", CultureInfo.InvariantCulture)))}");
            Assert.True(gold[label].Max() > gold[label][0] + 0.1, $"{label}: gold does not rise with n");
        }
        foreach (string label in new[] { "wco", "uwo" })
        {
            Assert.True(gold[label][^1] >= 0.95 * gold[label].Max(), $"{label} ends more than 5% below its peak");
        }
        Assert.True(gold["wco"][^1] >= gold["single"][^1], "WCO ends below the single proxy");
    }

    /// <summary>The example with easy addition items, a smaller policy, 1,200 pretraining steps and 1,000 labels.</summary>
    private static JsonObject Smaller(JsonObject manifest)
    {
        manifest["seed"] = 11;
        manifest["task"]!["options"] = new JsonObject
        {
            ["operators"] = "+", ["hardFraction"] = 0, ["trainPrompts"] = 1500, ["testPrompts"] = 300,
            ["corpus"] = new JsonObject { ["examples"] = 6000 },
        };
        manifest["policy"]!["options"] = new JsonObject { ["layers"] = 2, ["dModel"] = 64, ["heads"] = 4, ["context"] = 96 };
        JsonArray stages = manifest["stages"]!.AsArray();
        JsonObject Stage(string name) => stages.Single(s => (string?)s!["stage"] == name)!.AsObject();
        Stage("pretrain")["steps"] = 1200;
        Stage("collect-feedback")["labels"] = 1000;
        stages.Remove(Stage("evaluate-reward-model"));
        stages.Remove(Stage("report"));
        return manifest;
    }
}
