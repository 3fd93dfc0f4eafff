using System.Globalization;
using System.Text.Json.Nodes;

namespace AlignFx.RewardModels.Tests.Pipelines;

/// <summary>
/// examples/reward-ensembles.json at a smaller size (a d 64 policy pretrained 2,500 steps on a 10,000-example corpus,
/// 1,000 labels with 25% noise, best-of-n over 60 prompts), end to end through the host: five fine-tuned members,
/// each alone, and their mean, WCO and UWO. Coste et al.'s result, as ../shared/research/oversight-techniques.md puts
/// it (criterion 4): the single proxies rise and then fall, while WCO and UWO end within 5% of their own peak.
/// </summary>
public sealed class RewardEnsembleExampleTests(ITestOutputHelper output)
{
    private const int Members = 5;

    [Fact]
    public async Task Under_best_of_n_single_members_rise_then_fall_while_WCO_and_UWO_hold_near_their_peak()
    {
        using var run = new ExampleRun();
        await run.RunAsync(Smaller(ExampleRun.Load("reward-ensembles.json")),
            BuiltPlugins.Load("Tasks", "Feedback", "LanguageModels", "RewardModels", "Ppo"), TestContext.Current.CancellationToken);

        // Gold accuracy of the best of n samples by each proxy, for n = 1, 2, 4, ..., 512.
        string[] labels = [.. Enumerable.Range(0, Members).Select(i => $"member{i}"), "mean", "wco", "uwo"];
        Dictionary<string, double[]> gold = labels.ToDictionary(label => label, label => run.Metric($"bon/{label}/gold").ToArray());
        double[] single = [.. Enumerable.Range(0, gold["wco"].Length).Select(n => Enumerable.Range(0, Members).Average(i => gold[$"member{i}"][n]))];
        gold["single"] = single;
        foreach (var (label, curve) in gold)
        {
            output.WriteLine($"{label}: {string.Join(' ', curve.Select(g => g.ToString("0.000", CultureInfo.InvariantCulture)))}");
        }
        foreach (string label in new[] { "single", "mean", "wco", "uwo" })
        {
            Assert.True(gold[label].Max() > gold[label][0] + 0.05, $"{label}: gold does not rise with n");
        }

        // One member alone is overoptimised: most members end well below their own peak, and so does their mean curve.
        int fallen = Enumerable.Range(0, Members).Count(i => gold[$"member{i}"][^1] <= 0.98 * gold[$"member{i}"].Max());
        Assert.True(fallen >= 3, $"only {fallen} of {Members} members end 2% or more below their peak");
        Assert.True(single[^1] <= 0.985 * single.Max(), "the single proxies' mean curve does not fall from its peak");
        // The conservative ensembles are not: they hold near their peak and end above one member alone.
        foreach (string label in new[] { "wco", "uwo" })
        {
            Assert.True(gold[label][^1] >= 0.95 * gold[label].Max(), $"{label} ends more than 5% below its peak");
            Assert.True(gold[label][^1] > single[^1], $"{label} ends below one member alone");
        }
    }

    /// <summary>
    /// The example with a d 64 policy, 2,500 pretraining steps on 10,000 examples, 1,000 labels and 60 prompts.
    /// Measured at this size (n = 1 → peak → 512): one member (the five members' mean curve) 0.349 → 0.425 → 0.383,
    /// WCO 0.349 → 0.433 at n = 512, UWO 0.349 → 0.483 at n = 512; every member ends 6% or more below its own peak.
    /// </summary>
    private static JsonObject Smaller(JsonObject manifest)
    {
        manifest["seed"] = 11;
        manifest["task"]!["options"]!["corpus"]!["examples"] = 10000;
        manifest["policy"]!["options"] = new JsonObject { ["layers"] = 2, ["dModel"] = 64, ["heads"] = 4, ["context"] = 96 };
        JsonArray stages = manifest["stages"]!.AsArray();
        JsonObject Stage(string name) => stages.Single(s => (string?)s!["stage"] == name)!.AsObject();
        Stage("pretrain")["steps"] = 2500;
        Stage("collect-feedback")["labels"] = 1000;
        Stage("overoptimisation")["prompts"] = 60;
        stages.Remove(Stage("evaluate-reward-model"));
        stages.Remove(Stage("report"));
        return manifest;
    }
}
