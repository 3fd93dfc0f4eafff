using AlignFx.Abstractions.Runs;
using System.Globalization;
using System.Text.Json.Nodes;

namespace AlignFx.RewardModels.Tests.Pipelines;

/// <summary>
/// examples/reward-model.json at a smaller size (addition only, a d 64 policy, shorter pretraining, fewer labels),
/// through the host's runner with the built plugins: on labels from an unbiased evaluator with 10% random answers,
/// the reward model with likelihood features orders held-out decisive pairs about as well as the labels do.
/// </summary>
public sealed class RewardModelExampleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_reward_model_agrees_with_gold_within_a_few_points_of_what_its_labels_allow()
    {
        using var run = new ExampleRun();
        await run.RunAsync(Smaller(ExampleRun.Load("reward-model.json")), BuiltPlugins.Load("Tasks", "Feedback", "LanguageModels", "RewardModels"),
            TestContext.Current.CancellationToken);

        // What the labels allow: their agreement with gold on the pairs gold decides.
        double labels = run.Metric(MetricNames.Feedback.GoldAgreement)[0];
        // The two evaluations, in manifest order: the model with likelihood features, then the standard one.
        IReadOnlyList<double> accuracy = run.Metric(RewardModelMetrics.Evaluation.Accuracy);
        double decisive = run.Metric(RewardModelMetrics.Evaluation.DecisivePairs)[0];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"labels {labels:0.000}; reward model with likelihood features {accuracy[0]:0.000} on {decisive} decisive pairs; standard {accuracy[1]:0.000}"));
        Assert.True(decisive >= 60, $"only {decisive} decisive held-out pairs");
        Assert.True(labels is > 0.85 and < 0.97, $"label agreement {labels}");
        Assert.True(accuracy[0] >= labels - 0.05, $"reward model {accuracy[0]} against labels {labels}");
    }

    /// <summary>The example with addition only, a smaller policy, 1,200 pretraining steps and 800 labels (about 40 s).</summary>
    private static JsonObject Smaller(JsonObject manifest)
    {
        manifest["seed"] = 11;
        JsonObject task = manifest["task"]!["options"]!.AsObject();
        task["operators"] = "+";
        task["trainPrompts"] = 1500;
        task["testPrompts"] = 600;
        task["corpus"] = new JsonObject { ["examples"] = 6000 };
        manifest["policy"]!["options"] = new JsonObject { ["layers"] = 2, ["dModel"] = 64, ["heads"] = 4, ["context"] = 96 };
        JsonArray stages = manifest["stages"]!.AsArray();
        IEnumerable<JsonObject> Stages(string name) => stages.Select(s => s!.AsObject()).Where(s => (string?)s["stage"] == name);
        Stages("pretrain").Single()["steps"] = 1200;
        Stages("collect-feedback").Single()["labels"] = 800;
        foreach (JsonObject evaluation in Stages("evaluate-reward-model"))
        {
            evaluation["pairs"] = 600;
        }
        return manifest;
    }
}
